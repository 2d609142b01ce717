import { ReadModel1700000000000 } from './1700000000000-ReadModel';
import { RollupsPerBaseCurrency1750000000000 } from './1750000000000-RollupsPerBaseCurrency';
import { MoveUserSettingsToDirectory1796300000000 } from './1796300000000-user-directory';
import { BudgetsAndGoals1796400000000 } from './1796400000000-budgets-goals';
import { AccountDayChanges1796710000000 } from './1796710000000-account-day-changes';
import { TransactionSplits1796700000000 } from './1796700000000-transaction-splits';

/** Reports' own migrations, in order (the shared tables' come first, added by startService). Classes, not globs. */
export const reportsMigrations = [
  ReadModel1700000000000,
  RollupsPerBaseCurrency1750000000000,
  MoveUserSettingsToDirectory1796300000000,
  BudgetsAndGoals1796400000000,
  TransactionSplits1796700000000,
  AccountDayChanges1796710000000,
];
