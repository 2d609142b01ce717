import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts, categories, transactions (exact minor units), user profiles and idempotency keys. */
export class LedgerSchema1763780000000 implements MigrationInterface {
  name = 'LedgerSchema1763780000000';

  async up(q: QueryRunner): Promise<void> {
    // Trigram indexes make `?q=` substring search over description/payee/notes use an index.
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`
      CREATE TABLE user_profiles (
        user_id uuid PRIMARY KEY,
        base_currency char(3) NOT NULL,
        timezone text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        name text NOT NULL,
        type text NOT NULL CHECK (type IN ('checking','savings','credit_card','cash','investment','loan')),
        currency char(3) NOT NULL,
        opening_balance_minor bigint NOT NULL DEFAULT 0,
        archived boolean NOT NULL DEFAULT false,
        is_default boolean NOT NULL DEFAULT false,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX accounts_user_created ON accounts (user_id, created_at, id)`);
    // At most one lazily created default account per user, even under concurrent first requests.
    await q.query(`CREATE UNIQUE INDEX accounts_one_default ON accounts (user_id) WHERE is_default`);
    await q.query(`
      CREATE TABLE categories (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        name text NOT NULL,
        color char(7) NOT NULL,
        icon text,
        kind text NOT NULL CHECK (kind IN ('expense','income','both')),
        parent_id uuid REFERENCES categories (id),
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX categories_user_name ON categories (user_id, lower(name))`);
    await q.query(`CREATE INDEX categories_parent ON categories (parent_id) WHERE parent_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE transactions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        account_id uuid NOT NULL REFERENCES accounts (id),
        to_account_id uuid REFERENCES accounts (id),
        category_id uuid REFERENCES categories (id),
        transaction_type text NOT NULL CHECK (transaction_type IN ('income','expense','transfer')),
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency char(3) NOT NULL,
        base_amount_minor bigint NOT NULL,
        base_currency char(3) NOT NULL,
        description text NOT NULL DEFAULT '',
        notes text,
        payee text,
        tags text[] NOT NULL DEFAULT '{}',
        date date NOT NULL,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((transaction_type = 'transfer') = (to_account_id IS NOT NULL)),
        CHECK (transaction_type <> 'transfer' OR category_id IS NULL)
      )`);
    // One index per list order, so page 1,000 costs what page 1 costs (keyset, never OFFSET).
    await q.query(`CREATE INDEX transactions_user_date ON transactions (user_id, date DESC, id DESC)`);
    await q.query(`CREATE INDEX transactions_user_amount ON transactions (user_id, base_amount_minor, id)`);
    await q.query(
      `CREATE INDEX transactions_user_category_date ON transactions (user_id, category_id, date DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX transactions_account ON transactions (account_id, transaction_type)`);
    await q.query(
      `CREATE INDEX transactions_to_account ON transactions (to_account_id) WHERE to_account_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX transactions_tags ON transactions USING gin (tags)`);
    await q.query(`
      CREATE INDEX transactions_search ON transactions
      USING gin ((description || ' ' || coalesce(payee, '') || ' ' || coalesce(notes, '')) gin_trgm_ops)`);
    await q.query(`
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        response_status int,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE transactions`);
    await q.query(`DROP TABLE categories`);
    await q.query(`DROP TABLE accounts`);
    await q.query(`DROP TABLE user_profiles`);
  }
}
