import { LedgerSchema1763780000000 } from './1763780000000-LedgerSchema';
import { SharedIdempotencyKeys1796112700000 } from './1796112700000-SharedIdempotencyKeys';
import { MoveUserProfilesToDirectory1796200000000 } from './1796200000000-user-directory';
import { RecurringTemplates1796300000000 } from './1796300000000-recurring';
import { ExchangeRates1796400000000 } from './1796400000000-exchange-rates';
import { FxProviderDays1796450000000 } from './1796450000000-fx-provider-days';
import { Imports1796500000000 } from './1796500000000-imports';
import { Reconciliation1796710000000 } from './1796710000000-reconciliation';
import { Rules1796720000000 } from './1796720000000-rules';
import { TransactionSplits1796700000000 } from './1796700000000-transaction-splits';

/**
 * The ledger's own migrations, as classes (the compiled service needs no globs). startService adds
 * the shared ones (outbox, inbox and tombstones, user directory, idempotency keys); TypeORM runs
 * them all by timestamp, so on a fresh database the ledger's first idempotency_keys is reshaped
 * into the shared table before the shared migration (`CREATE TABLE IF NOT EXISTS`) finds it in place.
 */
export const ledgerMigrations = [
  LedgerSchema1763780000000,
  SharedIdempotencyKeys1796112700000,
  MoveUserProfilesToDirectory1796200000000,
  RecurringTemplates1796300000000,
  ExchangeRates1796400000000,
  FxProviderDays1796450000000,
  Imports1796500000000,
  TransactionSplits1796700000000,
  Reconciliation1796710000000,
  Rules1796720000000,
];
