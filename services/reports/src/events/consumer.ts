import { EventConsumer, type Broker, type Logger } from '@finance/shared';
import type { DataSource } from 'typeorm';
import type { EventType } from './contract';
import { handlers } from './dispatch';

/** Names this service's queues and inbox rows. */
export const CONSUMER_SERVICE = 'reports';

/** The consumer of every ledger and auth event the read model needs, one handler per type. */
export function createReportsConsumer(deps: {
  broker: Broker;
  dataSource: DataSource;
  logger: Logger;
  /** Tests give each run its own queues. */
  service?: string;
  retryDelaysMs?: number[];
}): EventConsumer {
  const consumer = new EventConsumer({
    prefetch: 20,
    maxAttempts: 5,
    ...deps,
    service: deps.service ?? CONSUMER_SERVICE,
  });
  for (const [type, handler] of Object.entries(handlers) as Array<
    [EventType, NonNullable<(typeof handlers)[EventType]>]
  >) {
    consumer.on(type, handler);
  }
  return consumer;
}
