import { formatMinorUnits, publishEvent, type EventPayloadInput } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import type { BudgetRecord } from '../data/budget-store';

/**
 * A budget's definition as `budgets.budget.changed/deleted` carry it: what reports' monthly report
 * computes the month's windows and spending from (with its own roll-ups of the ledger's events).
 */
function budgetState(budget: BudgetRecord): EventPayloadInput<'budgets.budget.changed'> {
  return {
    name: budget.name,
    categoryId: budget.categoryId,
    amount: formatMinorUnits(budget.amountMinor, budget.currency),
    currency: budget.currency,
    period: budget.period,
    startDate: budget.startDate,
    endDate: budget.endDate,
    rollover: budget.rollover,
  };
}

/** A budget created or changed (at its new version), in the transaction of the change. */
export async function publishBudgetChanged(
  manager: EntityManager,
  budget: BudgetRecord,
  now: Date,
): Promise<void> {
  await publishEvent(manager, {
    type: 'budgets.budget.changed',
    userId: budget.userId,
    aggregateId: budget.id,
    aggregateVersion: budget.version,
    occurredAt: now.toISOString(),
    payload: budgetState(budget),
  });
}

/** A budget deleted (its last definition; the deletion is its last version + 1), in the transaction of the deletion. */
export async function publishBudgetDeleted(
  manager: EntityManager,
  budget: BudgetRecord,
  now: Date,
): Promise<void> {
  await publishEvent(manager, {
    type: 'budgets.budget.deleted',
    userId: budget.userId,
    aggregateId: budget.id,
    aggregateVersion: budget.version + 1,
    occurredAt: now.toISOString(),
    payload: budgetState(budget),
  });
}
