import express, { type Router } from 'express';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { readOutboxPending } from '../events/outbox-pending';

/**
 * `GET /internal/stats`, on every service's own port: what the admin's `GET /admin/stats` (served by
 * the gateway) gathers from each service, so no service reads another's database. Like auth's
 * revocation feed it takes no token and must stay cluster-internal: the gateway routes no
 * `/internal` prefix, and the NetworkPolicy admits only the cluster's own pods. It is left out of
 * the service's OpenAPI document (it is not part of the API clients use).
 */
export const INTERNAL_STATS_PATH = '/internal/stats';

export const internalStatsSchema = z.object({
  service: z.string(),
  outbox: z.object({
    /** Events written and not yet confirmed by the broker. */
    pending: z.number().int().nonnegative(),
    oldest_pending_seconds: z.number().nonnegative(),
  }),
  /** Messages in the service's dead-letter queue; null when the broker could not be asked. */
  dead_letters: z.number().int().nonnegative().nullable(),
  /** What the service counts of its own (auth: users; ledger: transactions). */
  counts: z.record(z.string(), z.number().int().nonnegative()),
});

export type InternalStats = z.output<typeof internalStatsSchema>;

export interface InternalStatsSource {
  service: string;
  dataSource: DataSource;
  /** The consumer's dead-letter depth (throws while the broker is away). */
  deadLetters: () => Promise<number>;
  counts?: () => Promise<Record<string, number>>;
}

/** Gathers a service's stats; the broker being away leaves `dead_letters` null rather than failing. */
export async function gatherInternalStats(source: InternalStatsSource): Promise<InternalStats> {
  const [pending, deadLetters, counts] = await Promise.all([
    readOutboxPending(source.dataSource),
    source.deadLetters().then(
      (depth) => depth,
      () => null,
    ),
    source.counts ? source.counts() : Promise.resolve({}),
  ]);
  return {
    service: source.service,
    outbox: { pending: pending.count, oldest_pending_seconds: pending.oldestSeconds },
    dead_letters: deadLetters,
    counts,
  };
}

export function internalStatsRouter(source: InternalStatsSource): Router {
  const router = express.Router();
  router.get(INTERNAL_STATS_PATH, (_req, res, next) => {
    gatherInternalStats(source).then((stats) => {
      res.set('Cache-Control', 'no-store');
      res.json(stats);
    }, next);
  });
  return router;
}
