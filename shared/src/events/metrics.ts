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

/** Messages waiting in a consumer's dead-letter queue: events its read model could not apply. */
export const deadLetterDepth = new client.Gauge({
  name: 'events_dead_letter_queue_depth',
  help: "Messages in the consumer's dead-letter queue (events it could not apply; replay with npm run dlq)",
  labelNames: ['consumer'],
  registers: [metricsRegistry],
});
