import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Frequency } from '../domain/recurring-dates';
import type { TransactionType } from '../domain/transactions';

/** A recurring template: what it books, its series rule and where the series stands. */
@Entity({ name: 'recurring_templates' })
export class RecurringTemplate {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'user_id' }) userId: string;
  @Column('uuid', { name: 'account_id' }) accountId: string;
  @Column('uuid', { name: 'to_account_id', nullable: true }) toAccountId: string | null;
  @Column('uuid', { name: 'category_id', nullable: true }) categoryId: string | null;
  @Column('text', { name: 'transaction_type' }) type: TransactionType;
  /** bigint minor units, read as a string. */
  @Column('bigint', { name: 'amount_minor' }) amountMinor: string;
  @Column('char', { length: 3 }) currency: string;
  @Column('text') description: string;
  @Column('text', { nullable: true }) notes: string | null;
  @Column('text', { nullable: true }) payee: string | null;
  @Column('text', { array: true }) tags: string[];
  @Column('text') frequency: Frequency;
  @Column('int') interval: number;
  @Column('date', { name: 'start_date' }) startDate: string;
  @Column('date', { name: 'end_date', nullable: true }) endDate: string | null;
  @Column('int', { name: 'max_occurrences', nullable: true }) maxOccurrences: number | null;
  @Column('boolean', { name: 'auto_create' }) autoCreate: boolean;
  @Column('int', { name: 'remind_days_before' }) remindDaysBefore: number;
  @Column('boolean', { name: 'is_active' }) isActive: boolean;
  /** Position and date of the next occurrence to handle; null once the series has ended. */
  @Column('int', { name: 'next_occurrence_index', nullable: true }) nextOccurrenceIndex: number | null;
  @Column('date', { name: 'next_occurrence_date', nullable: true }) nextOccurrenceDate: string | null;
  /** The occurrence date whose reminder was sent (once per occurrence). */
  @Column('date', { name: 'reminded_date', nullable: true }) remindedDate: string | null;
  @Column('int') version: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

export const recurringEntities = [RecurringTemplate];
