import { Column, Entity, PrimaryColumn } from 'typeorm';

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

export const reconciliationEntities = [Reconciliation];
