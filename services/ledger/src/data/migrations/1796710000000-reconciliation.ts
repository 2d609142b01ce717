import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation (issue 21): each transaction's `cleared` status, the reconciliations made against
 * a bank statement, and the audit of forced changes to reconciled transactions. Additive: the new
 * column has a constant default (no table rewrite on PostgreSQL ≥ 11), so every stored transaction
 * is `uncleared` and the previous release, which never names the column, keeps writing.
 * Reconciliations list by account in creation order; the audit by transaction.
 */
export class Reconciliation1796710000000 implements MigrationInterface {
  name = 'Reconciliation1796710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE transactions ADD COLUMN cleared text NOT NULL DEFAULT 'uncleared'
         CONSTRAINT transactions_cleared_status CHECK (cleared IN ('uncleared', 'cleared', 'reconciled'))`,
    );
    await q.query(`
      CREATE TABLE reconciliations (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        account_id uuid NOT NULL,
        statement_date date NOT NULL,
        statement_balance_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        transaction_count integer NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX reconciliations_by_account ON reconciliations (user_id, account_id, created_at, id)`,
    );
    await q.query(`
      CREATE TABLE transaction_audit (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        transaction_id uuid NOT NULL,
        actor_id uuid NOT NULL,
        action text NOT NULL CHECK (action IN ('updated', 'deleted')),
        changed text[] NOT NULL,
        before jsonb NOT NULL,
        after jsonb,
        created_at timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX transaction_audit_by_transaction ON transaction_audit (user_id, transaction_id, created_at, id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE transaction_audit`);
    await q.query(`DROP TABLE reconciliations`);
    await q.query(`ALTER TABLE transactions DROP COLUMN cleared`);
  }
}
