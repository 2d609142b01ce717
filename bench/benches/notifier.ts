import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FinanceEvent } from '@finance/shared';
import { startTestService, waitFor } from '@finance/shared/testing';
import notifier from '../../services/notifier/src/service';
import {
  budgetExceeded,
  startWebhookReceiver,
  testUser,
  userRegistered,
} from '../../services/notifier/test/fixtures';
import type { Bench } from '../lib/context';
import { percentile, round } from '../lib/stats';
import { AMQP_URL, POSTGRES_URL } from '../lib/system';

const WEBHOOKS = 10;
const DELIVERY_CONCURRENCY = 16;

/**
 * The notifier on its own (started in this process from its definition, on a fresh database,
 * the real RabbitMQ and PostgreSQL): (a) event → notification stored, published to the broker at
 * a steady rate and timed until the consumer committed the notification with its e-mail in the
 * outbox (p50/p99); (b) webhook fan-out: one user's events to WEBHOOKS endpoints on a local
 * receiver, signed and sent by the webhook worker, in deliveries per second.
 */
export const notifierBench: Bench = {
  name: 'notifier',
  title: 'notifier: event → notification stored (p50/p99); webhook fan-out throughput to a local receiver',
  async run(ctx) {
    // The in-process harness makes its database and queues on the bench's servers.
    process.env.TEST_DATABASE_URL ??= POSTGRES_URL;
    process.env.TEST_AMQP_URL ??= AMQP_URL;
    const receiver = await startWebhookReceiver();
    const service = await startTestService(notifier, {
      label: 'bench_notifier',
      env: {
        LOG_LEVEL: 'warn',
        DELIVERY_POLL_MS: '50',
        DELIVERY_CONCURRENCY: String(DELIVERY_CONCURRENCY),
        MAX_WEBHOOKS_PER_USER: String(WEBHOOKS),
        // The receiver runs on this machine.
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8',
        MAIL_DIR: join(tmpdir(), 'finance-bench-notifier-mail'),
      },
    });
    try {
      // ── (a) event → notification stored ──
      const reader = testUser();
      await service.consumer.apply(userRegistered(reader));
      const published = new Map<string, number>();
      const latencies: number[] = [];
      const onApplied = (event: FinanceEvent) => {
        const at = published.get(event.id);
        if (at !== undefined) latencies.push(performance.now() - at);
      };
      service.consumer.events.on('applied', onApplied);
      const rate = 50;
      const count = ctx.quick ? 100 : 500;
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        // Steady: the i-th event leaves at i/rate seconds (bounded loop, local broker only).
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const event = budgetExceeded(reader.id, { name: `Budget ${i}` });
        published.set(event.id, performance.now());
        await service.broker.publish(event.type, event);
      }
      await waitFor(() => latencies.length >= count, {
        timeoutMs: 60_000,
        description: 'every event applied',
      });
      service.consumer.events.off('applied', onApplied);
      ctx.record({
        measure: `event → notification stored p50 at ${rate}/s`,
        value: round(percentile(latencies, 50), 1),
        unit: 'ms',
        detail: `${count} budgets.budget.exceeded via RabbitMQ, each with its e-mail queued`,
      });
      ctx.record({
        measure: `event → notification stored p99 at ${rate}/s`,
        value: round(percentile(latencies, 99), 1),
        unit: 'ms',
      });

      // ── (b) webhook fan-out ──
      const owner = testUser();
      await service.consumer.apply(userRegistered(owner));
      // Written directly: this bench measures delivery, not the API.
      for (let i = 0; i < WEBHOOKS; i++)
        await service.dataSource.query(
          `INSERT INTO webhooks (id, user_id, url, event_types, secret, created_at, updated_at)
           VALUES (gen_random_uuid(), $1, $2, '{budget_exceeded}', $3, now(), now())`,
          [owner.id, `${receiver.url}/${i}`, 'whsec_' + Buffer.alloc(32, i).toString('base64')],
        );
      // Only the in-app and webhook channels: e-mail (files) would share the worker's time.
      await service.dataSource.query(
        `INSERT INTO notification_preferences (user_id, channels, version, updated_at) VALUES ($1, $2, 1, now())`,
        [owner.id, JSON.stringify({ budget_exceeded: { email: false } })],
      );
      const events = ctx.quick ? 30 : 100;
      const expected = events * WEBHOOKS;
      const before = receiver.requests.length;
      const fanOutStart = performance.now();
      for (let i = 0; i < events; i++)
        await service.consumer.apply(budgetExceeded(owner.id, { name: `Fan ${i}` }));
      await waitFor(() => receiver.requests.length - before >= expected, {
        timeoutMs: 120_000,
        description: 'every delivery received',
      });
      const seconds = (performance.now() - fanOutStart) / 1000;
      ctx.record({
        measure: 'webhook fan-out throughput',
        value: round(expected / seconds, 0),
        unit: 'deliveries/s',
        detail: `${events} events × ${WEBHOOKS} endpoints, signed, to a local receiver; DELIVERY_CONCURRENCY=${DELIVERY_CONCURRENCY}, poll 50 ms`,
      });
    } finally {
      await service.close();
      await receiver.close();
    }
  },
};
