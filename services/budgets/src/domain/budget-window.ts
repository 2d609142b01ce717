/**
 * Budget windows are shared's (`@finance/shared` budget-window.ts), because reports' monthly
 * report judges budgets by the same rules; this module names them in budgets' domain.
 */
export {
  budgetPeriods,
  isActiveOn,
  previousWindows,
  referenceWindow,
  windowAt,
  windowContaining,
  type BudgetPeriod,
  type BudgetSchedule,
  type BudgetWindow,
  type CalendarDate,
} from '@finance/shared';
