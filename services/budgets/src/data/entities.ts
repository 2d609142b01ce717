import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';
import type { BudgetPeriod, CalendarDate } from '../domain/budget-window';

/**
 * Budgets' data-access rule: the aggregate it owns (a budget) is a TypeORM entity; the read
 * models fed by events (spending_transactions, known_categories) and the alert records are plain
 * SQL in `data/` (set-based upserts with version guards, grouped sums); the users' settings are
 * the shared user directory's.
 */

/** bigint minor units as BigInt in code, as text on the wire to PostgreSQL (never a Number). */
const minorUnits: ValueTransformer = {
  to: (value: bigint | null | undefined) => (typeof value === 'bigint' ? value.toString() : value),
  from: (value: string | null) => (value === null ? null : BigInt(value)),
};

/** A budget. `date` columns are `YYYY-MM-DD` strings; money is bigint minor units of `currency`. */
@Entity('budgets')
@Index('budgets_user_created', ['userId', 'createdAt', 'id'])
export class Budget {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('text') name: string;
  /** null = every expense of the user. */
  @Column('uuid', { name: 'category_id', nullable: true }) categoryId: string | null;
  @Column('bigint', { name: 'amount_minor', transformer: minorUnits }) amountMinor: bigint;
  /** The user's base currency when the budget was created; only spending in it counts. */
  @Column('char', { length: 3 }) currency: string;
  @Column('text') period: BudgetPeriod;
  @Column('date', { name: 'start_date' }) startDate: CalendarDate;
  @Column('date', { name: 'end_date', nullable: true }) endDate: CalendarDate | null;
  @Column('boolean') rollover: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** Row version: the ETag, bumped by every change. */
  @Column('integer') version: number;
}

export const budgetEntities = [Budget];
