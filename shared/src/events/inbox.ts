import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import type { FinanceEvent } from './contracts';

export class CreateInbox1700000000200 implements MigrationInterface {
  name = 'CreateInbox1700000000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Keyed by consumer too, so two consumers sharing one database each apply an event once.
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS inbox (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        type text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS inbox_received_at ON inbox (received_at)`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS aggregate_versions (
        aggregate_type text NOT NULL,
        aggregate_id text NOT NULL,
        version integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (aggregate_type, aggregate_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS aggregate_versions`);
    await queryRunner.query(`DROP TABLE IF EXISTS inbox`);
  }
}

/**
 * Tombstones of deleted users, next to the inbox of every consumer: once `auth.user.deleted` is
 * applied, later events of that user (a write that raced the deletion, a late update) are skipped,
 * so no read model stores anything of a deleted user again.
 */
export class CreateDeletedUsers1700000000210 implements MigrationInterface {
  name = 'CreateDeletedUsers1700000000210';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS deleted_users (
        user_id uuid PRIMARY KEY,
        deleted_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS deleted_users`);
  }
}

/** Spread into a consuming service's migrations. */
export const inboxMigrations = [CreateInbox1700000000200, CreateDeletedUsers1700000000210];

/**
 * Records the event for this consumer; false when it must not be applied: already recorded (a
 * duplicate delivery), or its user was deleted (nothing of a deleted user is stored again).
 *
 * The same statement holds the user's directory row FOR SHARE until the handler's transaction
 * ends, as a write does (`lockUserForWrite`): the deletion takes that row exclusively, so an event
 * racing the user's deletion is either applied before it (and purged by it) or sees the tombstone
 * on the row it waited for (the locked row is read again once the deletion commits). One
 * statement, so neither check costs a round trip.
 */
export async function recordInInbox(
  manager: EntityManager,
  consumer: string,
  event: FinanceEvent,
): Promise<boolean> {
  // auth's own user events take the row exclusively in their handler: a share lock first would
  // turn two of them (a redelivery next to the original) into a lock upgrade deadlock.
  const holdsUser = !event.type.startsWith('auth.user.');
  const inserted: unknown[] = await manager.query(
    holdsUser
      ? `WITH holder AS (SELECT deleted_at FROM user_directory WHERE user_id = $4 FOR SHARE)
         INSERT INTO inbox (consumer, event_id, type)
         SELECT $1, $2, $3
         WHERE NOT EXISTS (SELECT 1 FROM deleted_users WHERE user_id = $4)
           AND NOT EXISTS (SELECT 1 FROM holder WHERE deleted_at IS NOT NULL)
         ON CONFLICT DO NOTHING RETURNING event_id`
      : `INSERT INTO inbox (consumer, event_id, type)
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM deleted_users WHERE user_id = $4)
         ON CONFLICT DO NOTHING RETURNING event_id`,
    [consumer, event.id, event.type, event.userId],
  );
  return inserted.length === 1;
}

/**
 * {@link recordInInbox} for a run of events in one statement: the ids of those to apply. Same
 * rules per event: a duplicate (already recorded, or twice in the run) or an event of a deleted
 * user is left out, and every user's directory row is held FOR SHARE until the transaction ends.
 * Not for `auth.user.*` events (their handlers take the row exclusively, and a deletion must be
 * seen by the events after it): the consumer records those one by one, between runs.
 */
export async function recordAllInInbox(
  manager: EntityManager,
  consumer: string,
  events: readonly FinanceEvent[],
): Promise<Set<string>> {
  if (events.length === 1)
    return new Set((await recordInInbox(manager, consumer, events[0])) ? [events[0].id] : []);
  if (events.some((event) => event.type.startsWith('auth.user.')))
    throw new Error('recordAllInInbox takes no auth.user.* events; record those with recordInInbox');
  // Inserted in event id order: two transactions recording overlapping runs (a duplicate publish
  // on two replicas) wait on each other's rows in one order, never in a cycle.
  const inserted: Array<{ event_id: string }> = await manager.query(
    `WITH incoming AS (
       SELECT * FROM unnest($2::uuid[], $3::text[], $4::uuid[]) AS t(event_id, type, user_id)
     ), holder AS MATERIALIZED (
       SELECT user_id, deleted_at IS NOT NULL AS deleted FROM user_directory
        WHERE user_id IN (SELECT user_id FROM incoming) ORDER BY user_id FOR SHARE
     )
     INSERT INTO inbox (consumer, event_id, type)
     SELECT DISTINCT ON (i.event_id) $1, i.event_id, i.type FROM incoming i
      WHERE NOT EXISTS (SELECT 1 FROM deleted_users d WHERE d.user_id = i.user_id)
        AND NOT EXISTS (SELECT 1 FROM holder h WHERE h.user_id = i.user_id AND h.deleted)
      ORDER BY i.event_id
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [
      consumer,
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => event.userId),
    ],
  );
  return new Set(inserted.map((row) => row.event_id));
}

/** `ledger.transaction.created` → `ledger.transaction`: the aggregate an event type belongs to. */
export function aggregateTypeOf(eventType: string): string {
  return eventType.slice(0, eventType.lastIndexOf('.'));
}

/**
 * For read models: records the event's aggregateVersion as the newest seen for its aggregate
 * and returns true, or returns false (changing nothing) when an equal or newer version was
 * already applied, so an event arriving late does not overwrite newer state. Call it inside
 * the handler's transaction; the row lock also serialises concurrent events of one aggregate.
 */
export async function acceptAggregateVersion(manager: EntityManager, event: FinanceEvent): Promise<boolean> {
  const accepted: unknown[] = await manager.query(
    `INSERT INTO aggregate_versions (aggregate_type, aggregate_id, version) VALUES ($1, $2, $3)
     ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
       SET version = EXCLUDED.version, updated_at = now()
       WHERE aggregate_versions.version < EXCLUDED.version
     RETURNING version`,
    [aggregateTypeOf(event.type), event.aggregateId, event.aggregateVersion],
  );
  return accepted.length === 1;
}
