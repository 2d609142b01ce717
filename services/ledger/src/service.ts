import { defineService, type Closer } from '@finance/shared';
import { ledgerConfigSchema } from './config';
import { ledgerEntities } from './data/entities';
import { ledgerMigrations } from './data/migrations';
import { recurringEntities } from './data/recurring-entities';
import { ledgerUserEvents } from './events/user-events';
import { accountsRouter } from './http/accounts';
import { categoriesRouter } from './http/categories';
import { exchangeRatesRouter } from './http/exchange-rates';
import { recurringRouter } from './http/recurring';
import { transactionBulkRouter } from './http/transaction-bulk';
import { transactionsRouter } from './http/transactions';
import { startExchangeRates } from './jobs/exchange-rates';
import { scheduleIdempotencyKeyPurge } from './jobs/purge-idempotency-keys';
import { runRecurringRound, scheduleRecurring, type RecurringParts } from './jobs/recurring-scheduler';
import { csvFormat, statementFormats } from './import/formats-registry';
import { importMappingsRouter, importsRouter } from './import/http/routes';
import { ImportJobs } from './import/jobs/import-jobs';
import { reconciliationEntities } from './reconciliation/data/entities';
import { reconciliationRouter } from './reconciliation/http/routes';
import { ruleRouter, rulesRouter } from './rules/http/routes';
import { scheduleRuleJobs } from './rules/jobs/rule-jobs';

/** The ledger: accounts, categories and transactions, the source of truth for money. */
export default defineService({
  name: 'ledger',
  configSchema: ledgerConfigSchema,
  migrations: ledgerMigrations,
  entities: [...ledgerEntities, ...recurringEntities, ...reconciliationEntities],
  openapi: {
    title: 'Finance Tracker — ledger',
    description:
      'Accounts, categories, transactions, recurring templates, statement imports, currencies and exchange rates: the source of truth for money. Amounts are exact decimal strings.',
  },
  userEvents: ledgerUserEvents,
  setup: (context) => {
    const fx = startExchangeRates(context);
    const recurringScheduler = scheduleRecurring(context);
    const recurring: RecurringParts = {
      recurringScheduler,
      runRecurringRound: (now) =>
        runRecurringRound(context, now, { concurrency: context.config.RECURRING_CONCURRENCY }),
    };
    const importJobs = new ImportJobs(context, {
      readers: Object.fromEntries(statementFormats.map((f) => [f.format, f.reader])),
      maxRows: context.config.IMPORT_MAX_ROWS,
      pollMs: context.config.IMPORT_JOB_POLL_MS,
      maxAttempts: context.config.IMPORT_JOB_MAX_ATTEMPTS,
      logger: context.logger.child({ component: 'import-jobs' }),
    }).start();
    const ruleJobs = scheduleRuleJobs(context, {
      schedule: context.config.RULE_JOB_SCHEDULE,
      maxAttempts: context.config.RULE_JOB_MAX_ATTEMPTS,
    });
    const closers: Closer[] = [
      importJobs,
      ruleJobs,
      scheduleIdempotencyKeyPurge(context),
      recurringScheduler,
      fx.job,
      fx.baseChangeJob,
    ];
    return { ...recurring, exchangeRates: fx.exchangeRates, importJobs, ruleJobs, closers };
  },
  // For the admin's GET /admin/stats (gathered by the gateway from /internal/stats).
  stats: async ({ dataSource }) => {
    const [row]: Array<{ transactions: number }> = await dataSource.query(
      `SELECT count(*)::int AS transactions FROM transactions`,
    );
    return row;
  },
  routes: (context, parts) => [
    exchangeRatesRouter(context), // first: GET /accounts/balances before /accounts/{id}
    importMappingsRouter(context, csvFormat.mappingSchema), // before /import/{id}
    importsRouter(context, statementFormats, parts.importJobs),
    accountsRouter(context),
    reconciliationRouter(context),
    categoriesRouter(context),
    transactionsRouter(context),
    transactionBulkRouter(context),
    recurringRouter(context),
    rulesRouter(context, parts.ruleJobs, { syncLimit: context.config.RULE_APPLY_SYNC_LIMIT }),
    ruleRouter(context), // last: /rules/{id} after the fixed names under /rules/
  ],
});
