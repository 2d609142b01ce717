import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { BudgetPeriod } from '../domain/budget-window';

/**
 * bigint columns are read as strings (the data source sets parseInt8: false) and turned into
 * BigInt by the code that does money maths; `date` columns are `YYYY-MM-DD` strings.
 */

@Entity('budgets')
@Index('budgets_user_created', ['userId', 'createdAt', 'id'])
export class Budget {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('text') name: string;
  /** null = every expense of the user. */
  @Column('uuid', { name: 'category_id', nullable: true }) categoryId: string | null;
  @Column('bigint', { name: 'amount_minor' }) amountMinor: string;
  /** The user's base currency when the budget was created; only spending in it counts. */
  @Column('char', { length: 3 }) currency: string;
  @Column('text') period: BudgetPeriod;
  @Column('date', { name: 'start_date' }) startDate: string;
  @Column('date', { name: 'end_date', nullable: true }) endDate: string | null;
  @Column('boolean') rollover: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  @Column('integer') version: number;
}

/** Read model of the ledger's transactions (all types, so a type change is seen). */
@Entity('spending_transactions')
@Index('spending_user_category_date', ['userId', 'categoryId', 'date'])
export class SpendingTransaction {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'category_id', nullable: true }) categoryId: string | null;
  @Column('text') type: 'income' | 'expense' | 'transfer';
  @Column('bigint', { name: 'base_amount_minor' }) baseAmountMinor: string;
  @Column('char', { name: 'base_currency', length: 3 }) baseCurrency: string;
  @Column('date') date: string;
  /** The ledger row version last applied; older events are ignored. */
  @Column('integer') version: number;
  /** A tombstone: a deleted transaction keeps its version so a late update cannot revive it. */
  @Column('boolean') deleted: boolean;
}

@Entity('known_categories')
export class KnownCategory {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('boolean') deleted: boolean;
  @Column('integer') version: number;
}

@Entity('user_settings')
export class UserSettings {
  @PrimaryColumn('uuid', { name: 'user_id' }) userId: string;
  @Column('char', { name: 'base_currency', length: 3 }) baseCurrency: string;
  @Column('text') timezone: string;
  @Column('integer') version: number;
}

/** The record that an alert was sent for a budget window and threshold (so it is sent once). */
@Entity('budget_alerts')
export class BudgetAlert {
  @PrimaryColumn('uuid', { name: 'budget_id' }) budgetId: string;
  @PrimaryColumn('date', { name: 'window_start' }) windowStart: string;
  @PrimaryColumn('integer') threshold: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

export const budgetEntities = [Budget, SpendingTransaction, KnownCategory, UserSettings, BudgetAlert];
