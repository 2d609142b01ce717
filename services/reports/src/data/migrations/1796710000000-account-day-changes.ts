import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Net worth and balance history (issue 21) read per-account, per-day changes, never transactions:
 *
 * - `account_day_changes`: what each account's balance changed by on each day, in the account's own
 *   currency (`change_minor`, keyed by that `currency`) and in the base currency the ledger booked
 *   each transaction in (`base_change_minor`, keyed by `base_currency`); `count` is the number of
 *   transaction legs in the row (an empty row is deleted). Income adds, an expense takes away, a
 *   transfer takes from its account and adds to its target (what arrived there: `toAmount` in the
 *   target's currency when the currencies differ, else the amount), the same base amount on both sides.
 * - `report_transfer_arrivals`: what a transfer between currencies delivered (`toAmount`,
 *   `toCurrency` of its events), kept so an update or delete can take exactly that back out.
 *
 * Both are kept by the transaction handlers (events/balance-changes.ts) in the event's transaction.
 * Backfill from the read model as it stands: the arrivals of transfers already stored are not known
 * (the read model did not keep them), so such a transfer's arrival is booked in the currency it was
 * sent in; where that is not the target account's currency, the account's balance history counts
 * it in `other_currencies` instead of adding a foreign amount, until the ledger's next event for it.
 * numeric(38,0) like every sum reports keeps (see the roll-ups): any number of 64-bit amounts fits.
 */
export class AccountDayChanges1796710000000 implements MigrationInterface {
  name = 'AccountDayChanges1796710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account_day_changes (
        user_id uuid NOT NULL,
        account_id uuid NOT NULL,
        date date NOT NULL,
        currency char(3) NOT NULL,
        base_currency char(3) NOT NULL,
        change_minor numeric(38, 0) NOT NULL,
        base_change_minor numeric(38, 0) NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (user_id, account_id, date, currency, base_currency)
      )`);
    await q.query(`
      CREATE TABLE report_transfer_arrivals (
        transaction_id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        to_amount_minor bigint NOT NULL,
        to_currency char(3) NOT NULL
      )`);
    await q.query(`CREATE INDEX report_transfer_arrivals_user ON report_transfer_arrivals (user_id)`);
    await q.query(`
      INSERT INTO account_day_changes (user_id, account_id, date, currency, base_currency, change_minor, base_change_minor, count)
      SELECT user_id, account_id, date, currency, base_currency, sum(change), sum(base_change), count(*)
      FROM (
        SELECT user_id, account_id, date, currency, base_currency,
               CASE WHEN type = 'income' THEN amount_minor ELSE -amount_minor END AS change,
               CASE WHEN type = 'income' THEN base_amount_minor ELSE -base_amount_minor END AS base_change
        FROM report_transactions
        UNION ALL
        SELECT user_id, to_account_id, date, currency, base_currency, amount_minor, base_amount_minor
        FROM report_transactions WHERE type = 'transfer' AND to_account_id IS NOT NULL
      ) legs
      GROUP BY user_id, account_id, date, currency, base_currency`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS report_transfer_arrivals`);
    await q.query(`DROP TABLE IF EXISTS account_day_changes`);
  }
}
