import { GoalsInitial1796116572593 } from './1796116572593-goals-initial';
import { TransactionOwnCurrency1796600000000 } from './1796600000000-transaction-own-currency';

/** goals's own migrations, in order (the shared tables come first, added by startService). Classes, not globs. */
export const goalsMigrations = [GoalsInitial1796116572593, TransactionOwnCurrency1796600000000];
