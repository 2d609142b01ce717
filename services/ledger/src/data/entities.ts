import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AccountType } from '../domain/accounts';
import type { CategoryKind } from '../domain/categories';
import type { ClearedStatus, TransactionType } from '../domain/transactions';

/** bigint minor units arrive as strings (parseInt8 off) and stay strings until BigInt(). */
type MinorUnits = string;

@Entity({ name: 'accounts' })
export class Account {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('text') name: string;
  @Column('text') type: AccountType;
  @Column('char', { length: 3 }) currency: string;
  @Column('bigint', { name: 'opening_balance_minor' }) openingBalanceMinor: MinorUnits;
  @Column('boolean') archived: boolean;
  /** The account seed-V1 clients' transactions land in when they send no account_id. */
  @Column('boolean', { name: 'is_default' }) isDefault: boolean;
  @Column('int') version: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

@Entity({ name: 'categories' })
export class Category {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('text') name: string;
  @Column('char', { length: 7 }) color: string;
  @Column('text', { nullable: true }) icon: string | null;
  @Column('text') kind: CategoryKind;
  @Column('uuid', { name: 'parent_id', nullable: true }) parentId: string | null;
  @Column('int') version: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

@Entity({ name: 'transactions' })
export class Transaction {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'account_id' }) accountId: string;
  @Column('uuid', { name: 'to_account_id', nullable: true }) toAccountId: string | null;
  @Column('uuid', { name: 'category_id', nullable: true }) categoryId: string | null;
  @Column('text', { name: 'transaction_type' }) type: TransactionType;
  @Column('bigint', { name: 'amount_minor' }) amountMinor: MinorUnits;
  @Column('char', { length: 3 }) currency: string;
  @Column('bigint', { name: 'base_amount_minor' }) baseAmountMinor: MinorUnits;
  @Column('char', { name: 'base_currency', length: 3 }) baseCurrency: string;
  /** The rate currency→base_currency converted at (exact decimal text; null: no conversion) and its date. */
  @Column('numeric', { name: 'fx_rate', nullable: true }) fxRate: string | null;
  @Column('date', { name: 'fx_rate_date', nullable: true }) fxRateDate: string | null;
  /** A transfer between currencies: what arrived in the receiving account, in to_currency. */
  @Column('bigint', { name: 'to_amount_minor', nullable: true }) toAmountMinor: MinorUnits | null;
  @Column('char', { name: 'to_currency', length: 3, nullable: true }) toCurrency: string | null;
  @Column('text') description: string;
  @Column('text', { nullable: true }) notes: string | null;
  @Column('text', { nullable: true }) payee: string | null;
  @Column('text', { array: true }) tags: string[];
  /** A calendar date (PG `date`), read as 'YYYY-MM-DD'. */
  @Column('date') date: string;
  /** The bank's own id of the entry (FITID, AcctSvcrRef, a mapped column), when it was imported. */
  @Column('text', { name: 'external_id', nullable: true }) externalId: string | null;
  /** The import that created it (undone with it). */
  @Column('uuid', { name: 'import_id', nullable: true }) importId: string | null;
  /** uncleared, cleared (the bank has it), reconciled (a statement confirmed it: locked). */
  @Column('text') cleared: ClearedStatus;
  @Column('int') version: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /**
   * The parts of a split transaction, in order ([]: not split). Not a column: loaded with the
   * transaction by `withSplits` (one query for a whole page) and written by the transaction writes.
   */
  splits?: TransactionSplit[];
}

/** One part of a split transaction (`transaction_splits`). */
@Entity({ name: 'transaction_splits' })
export class TransactionSplit {
  @PrimaryColumn('uuid', { name: 'transaction_id' }) transactionId: string;
  /** 0-based order of the part within its transaction. */
  @PrimaryColumn('int') position: number;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('bigint', { name: 'amount_minor' }) amountMinor: MinorUnits;
  @Column('bigint', { name: 'base_amount_minor' }) baseAmountMinor: MinorUnits;
  @Column('uuid', { name: 'category_id', nullable: true }) categoryId: string | null;
  @Column('text', { nullable: true }) notes: string | null;
  @Column('text', { array: true }) tags: string[];
}

export const ledgerEntities = [Account, Category, Transaction, TransactionSplit];
