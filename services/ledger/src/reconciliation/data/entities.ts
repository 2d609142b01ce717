import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { LockedField, LockedState } from '../domain/reconciliation';

/** One statement an account was reconciled against: its date and balance, and how many transactions it confirmed. */
@Entity({ name: 'reconciliations' })
export class Reconciliation {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'account_id' }) accountId: string;
  @Column('date', { name: 'statement_date' }) statementDate: string;
  /** bigint minor units, read as a string. */
  @Column('bigint', { name: 'statement_balance_minor' }) statementBalanceMinor: string;
  @Column('char', { length: 3 }) currency: string;
  /** Transactions this reconciliation turned from cleared to reconciled. */
  @Column('int', { name: 'transaction_count' }) transactionCount: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

/** A forced change of a reconciled transaction: who, when, and its locked fields before and after. */
@Entity({ name: 'transaction_audit' })
export class TransactionAudit {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'transaction_id' }) transactionId: string;
  /** Who forced it (the caller's user id; an admin acting for the user would show here). */
  @Column('uuid', { name: 'actor_id' }) actorId: string;
  @Column('text') action: 'updated' | 'deleted';
  @Column('text', { array: true }) changed: LockedField[];
  @Column('jsonb') before: LockedState;
  /** null for a deletion. */
  @Column('jsonb', { nullable: true }) after: LockedState | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

export const reconciliationEntities = [Reconciliation, TransactionAudit];
