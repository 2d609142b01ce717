import client from 'prom-client';
import { metricsRegistry } from '../http/health';

/** Events the outbox relay had confirmed by the broker, by type. */
export const eventsPublished = new client.Counter({
  name: 'events_published_total',
  help: 'Events published from the outbox and confirmed by the broker',
  labelNames: ['type'],
  registers: [metricsRegistry],
});

/** What became of each delivery a consumer received. */
export const eventsConsumed = new client.Counter({
  name: 'events_consumed_total',
  help: 'Event deliveries by consumer, type and outcome (applied, duplicate, retried, dead_lettered, invalid, ignored)',
  labelNames: ['consumer', 'type', 'outcome'],
  registers: [metricsRegistry],
});
