import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the notifier owns: preferences, notifications (one per event: `source_event_id` is unique),
 * the e-mail outbox with its attempt log, webhook subscriptions, their deliveries and attempts.
 * Contacts (e-mail, username, time zone) are in the shared `user_directory`.
 */
export class NotifierInitial1796300000000 implements MigrationInterface {
  name = 'NotifierInitial1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification_preferences (
        user_id uuid PRIMARY KEY,
        channels jsonb NOT NULL,
        quiet_hours_start smallint CHECK (quiet_hours_start BETWEEN 0 AND 1439),
        quiet_hours_end smallint CHECK (quiet_hours_end BETWEEN 0 AND 1439),
        version integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        kind text NOT NULL,
        title text NOT NULL,
        body text NOT NULL,
        data jsonb NOT NULL DEFAULT '{}',
        in_app boolean NOT NULL,
        source_event_id uuid UNIQUE,
        created_at timestamptz NOT NULL,
        read_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX notifications_feed ON notifications (user_id, created_at DESC, id DESC) WHERE in_app`,
    );
    await q.query(
      `CREATE INDEX notifications_unread ON notifications (user_id) WHERE in_app AND read_at IS NULL`,
    );
    await q.query(`CREATE INDEX notifications_read_at ON notifications (read_at) WHERE read_at IS NOT NULL`);
    await q.query(`CREATE INDEX notifications_quiet ON notifications (created_at) WHERE NOT in_app`);

    await q.query(`
      CREATE TABLE email_outbox (
        id uuid PRIMARY KEY,
        notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        to_address text,
        subject text NOT NULL,
        html text NOT NULL,
        text text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        claimed_until timestamptz,
        created_at timestamptz NOT NULL,
        sent_at timestamptz,
        message_id text,
        last_error text
      )`);
    await q.query(`CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX email_outbox_notification ON email_outbox (notification_id)`);
    await q.query(`CREATE INDEX email_outbox_user ON email_outbox (user_id)`);
    await q.query(`
      CREATE TABLE email_attempts (
        email_id uuid NOT NULL REFERENCES email_outbox (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        attempted_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        ok boolean NOT NULL,
        error text,
        PRIMARY KEY (email_id, attempt)
      )`);

    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        url text NOT NULL,
        event_types text[] NOT NULL,
        description text,
        active boolean NOT NULL DEFAULT true,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        disabled_at timestamptz,
        disabled_reason text,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX webhooks_user ON webhooks (user_id, created_at, id)`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        notification_id uuid REFERENCES notifications (id) ON DELETE SET NULL,
        type text NOT NULL,
        body text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        claimed_until timestamptz,
        created_at timestamptz NOT NULL,
        completed_at timestamptz,
        last_status_code integer,
        last_error text
      )`);
    await q.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_notification ON webhook_deliveries (notification_id)`);
    await q.query(
      `CREATE INDEX webhook_deliveries_done ON webhook_deliveries (completed_at) WHERE status <> 'pending'`,
    );
    await q.query(`
      CREATE TABLE webhook_attempts (
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        attempted_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        status_code integer,
        error text,
        response_excerpt text,
        PRIMARY KEY (delivery_id, attempt)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'webhook_attempts',
      'webhook_deliveries',
      'webhooks',
      'email_attempts',
      'email_outbox',
      'notifications',
      'notification_preferences',
    ])
      await q.query(`DROP TABLE ${table}`);
  }
}
