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

/** From an event's occurrence (its publisher's commit) to its effect committed here: the read model's lag. */
export const consumerLag = new client.Histogram({
  name: 'events_consumer_lag_seconds',
  help: "Seconds from an event's occurredAt to its effect committed by this consumer",
  labelNames: ['consumer', 'type'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [metricsRegistry],
});

/** Reads a relay's outbox when /metrics is scraped (one indexed query), so the figures are current. */
export interface OutboxProbe {
  service: string;
  pending(): Promise<{ count: number; oldestSeconds: number }>;
}

const outboxProbes = new Set<OutboxProbe>();

export function watchOutbox(probe: OutboxProbe): () => void {
  outboxProbes.add(probe);
  return () => outboxProbes.delete(probe);
}

async function readOutboxes(): Promise<Array<{ service: string; count: number; oldestSeconds: number }>> {
  return Promise.all(
    [...outboxProbes].map(async (probe) => {
      try {
        return { service: probe.service, ...(await probe.pending()) };
      } catch {
        return { service: probe.service, count: -1, oldestSeconds: -1 };
      }
    }),
  );
}

export const outboxPending = new client.Gauge({
  name: 'outbox_pending_events',
  help: 'Events written to the outbox and not yet confirmed by the broker (-1: the outbox could not be read)',
  labelNames: ['service'],
  registers: [metricsRegistry],
  async collect() {
    for (const row of await readOutboxes()) this.set({ service: row.service }, row.count);
  },
});

export const outboxOldest = new client.Gauge({
  name: 'outbox_oldest_pending_seconds',
  help: 'Age of the oldest event still waiting in the outbox (0 when none; -1: the outbox could not be read)',
  labelNames: ['service'],
  registers: [metricsRegistry],
  async collect() {
    for (const row of await readOutboxes()) this.set({ service: row.service }, row.oldestSeconds);
  },
});
