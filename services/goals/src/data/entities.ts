import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';
import type { CalendarDate } from '@finance/shared';
import type { ContributionKind } from '../domain/contributions';
import type { GoalStatus, MilestoneLevel } from '../domain/goal-status';

/**
 * Goals' data-access rule (docs/architecture.md): the aggregates it owns — a goal and its
 * contributions — are TypeORM entities; the read models fed by the ledger's events
 * (known_transactions, known_accounts) and the sums progress needs are plain SQL in `data/`.
 */

/** bigint minor units as BigInt in code, as text on the wire to PostgreSQL (never a Number). */
const minorUnits: ValueTransformer = {
  to: (value: bigint | null | undefined) => (typeof value === 'bigint' ? value.toString() : value),
  from: (value: string | null) => (value === null ? null : BigInt(value)),
};

/** A savings goal. Money is bigint minor units of `currency`; `date` columns are `YYYY-MM-DD`. */
@Entity('goals')
@Index('goals_user_created', ['userId', 'createdAt', 'id'])
export class Goal {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('text') name: string;
  @Column('bigint', { name: 'target_minor', transformer: minorUnits }) targetMinor: bigint;
  /** The sum of its contributions, kept under the goal's row lock (never set by a client). */
  @Column('bigint', { name: 'current_minor', transformer: minorUnits }) currentMinor: bigint;
  /** The user's base currency when the goal was created; contributions are in it. */
  @Column('text') currency: string;
  @Column('date', { nullable: true }) deadline: CalendarDate | null;
  @Column('text') status: GoalStatus;
  /** An account of the user's where the savings sit (informational; links are not limited to it). */
  @Column('uuid', { name: 'account_id', nullable: true }) accountId: string | null;
  @Column('text', { nullable: true }) notes: string | null;
  /** The highest milestone level announced since the goal last stood below it (domain/goal-status.ts). */
  @Column('smallint', { name: 'announced_level' }) announcedLevel: MilestoneLevel;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** Row version: the ETag, bumped by every change (its fields, its amount, its status). */
  @Column('integer') version: number;
}

/** One contribution to a goal: linked to a ledger transaction, manual, or a withdrawal (negative). */
@Entity('goal_contributions')
export class GoalContribution {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'goal_id' }) goalId: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('text') kind: ContributionKind;
  @Column('uuid', { name: 'transaction_id', nullable: true }) transactionId: string | null;
  /** Given without an amount: the whole transaction, following its amount when the ledger changes it. */
  @Column('boolean', { name: 'whole_transaction' }) wholeTransaction: boolean;
  /** Positive, except withdrawals. */
  @Column('bigint', { name: 'amount_minor', transformer: minorUnits }) amountMinor: bigint;
  /** A linked contribution's date is its transaction's (and follows it). */
  @Column('date') date: CalendarDate;
  @Column('text', { nullable: true }) note: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

export const goalEntities = [Goal, GoalContribution];
