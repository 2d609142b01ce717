import { BudgetsInitial1763700000000 } from './1763700000000-budgets-initial';
import { MoveUserSettingsToDirectory1796200000000 } from './1796200000000-user-directory';
import { SpendingParts1796700000000 } from './1796700000000-spending-parts';

/** Budgets' own migrations, in order (the shared tables' come first, added by startService). Classes, not globs. */
export const budgetMigrations = [
  BudgetsInitial1763700000000,
  MoveUserSettingsToDirectory1796200000000,
  SpendingParts1796700000000,
];
