import { EventConsumer, type Broker, type Logger } from '@finance/shared';
import type { DataSource } from 'typeorm';
import type { EventType } from './contract';
import { handlers } from './dispatch';

/** Names this service's queues and inbox rows. */
export const CONSUMER_SERVICE = 'reports';

/** Registers a handler for every ledger and auth event the read model needs. */
export function registerReportsHandlers(consumer: EventConsumer): EventConsumer {
  for (const [type, handler] of Object.entries(handlers) as Array<
    [EventType, NonNullable<(typeof handlers)[EventType]>]
  >) {
    consumer.on(type, handler);
  }
  return consumer;
}

/** A consumer of every ledger and auth event the read model needs (tests give it their own queues). */
export function createReportsConsumer(deps: {
  broker: Broker;
  dataSource: DataSource;
  logger: Logger;
  /** Tests give each run its own queues. */
  service?: string;
  retryDelaysMs?: number[];
}): EventConsumer {
  return registerReportsHandlers(
    new EventConsumer({ prefetch: 20, maxAttempts: 5, ...deps, service: deps.service ?? CONSUMER_SERVICE }),
  );
}
