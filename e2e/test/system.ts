import { parseConfig, type RunningService } from '@finance/shared';
import {
  createTestDatabase,
  dropTestDatabase,
  deleteTestQueues,
  startHttpServer,
  startTestBroker,
  testAmqpUrl,
  testLogger,
  uniqueName,
  type RunningServer,
} from '@finance/shared/testing';
import { startAuth } from '../../services/auth/src/main';
import { authConfigSchema } from '../../services/auth/src/config';
import { startLedger } from '../../services/ledger/src/main';
import { ledgerConfigSchema } from '../../services/ledger/src/config';
import { startBudgets } from '../../services/budgets/src/main';
import { budgetsConfigSchema } from '../../services/budgets/src/config';
import { startReports } from '../../services/reports/src/main';
import { reportsConfigSchema } from '../../services/reports/src/config';
import { buildApp as buildGateway } from '../../services/gateway/src/app';
import { gatewayConfigSchema } from '../../services/gateway/src/config';

export interface System {
  gateway: string;
  services: Record<'auth' | 'ledger' | 'budgets' | 'reports', RunningService>;
  stop(): Promise<void>;
}

/**
 * The whole system in this process: four services on fresh databases, the real broker, the gateway
 * in front. `extra` adds environment to auth (an admin account, say) or the gateway (a higher rate
 * limit for a walk of thousands of requests).
 */
export async function startSystem(
  label: string,
  extra: { auth?: Record<string, string>; gateway?: Record<string, string> } = {},
): Promise<System> {
  const databases = {
    auth: await createTestDatabase(`${label}_auth`),
    ledger: await createTestDatabase(`${label}_ledger`),
    budgets: await createTestDatabase(`${label}_budgets`),
    reports: await createTestDatabase(`${label}_reports`),
  };
  const common = { PORT: '0', AMQP_URL: testAmqpUrl(), LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' };
  const consumers = {
    ledger: uniqueName('ledger'),
    budgets: uniqueName('budgets'),
    reports: uniqueName('reports'),
  };

  const auth = await startAuth(
    parseConfig(authConfigSchema, {
      ...common,
      DATABASE_URL: databases.auth,
      BCRYPT_ROUNDS: '4',
      ...extra.auth,
    }),
  );
  const jwks = { JWKS_URL: `${auth.url}/.well-known/jwks.json` };
  const [ledger, budgets, reports] = await Promise.all([
    startLedger(parseConfig(ledgerConfigSchema, { ...common, ...jwks, DATABASE_URL: databases.ledger }), {
      consumerName: consumers.ledger,
    }),
    startBudgets(parseConfig(budgetsConfigSchema, { ...common, ...jwks, DATABASE_URL: databases.budgets }), {
      consumerName: consumers.budgets,
    }),
    startReports(parseConfig(reportsConfigSchema, { ...common, ...jwks, DATABASE_URL: databases.reports }), {
      consumerName: consumers.reports,
    }),
  ]);
  const gatewayConfig = parseConfig(gatewayConfigSchema, {
    ...common,
    ...jwks,
    AUTH_URL: auth.url,
    LEDGER_URL: ledger.url,
    BUDGETS_URL: budgets.url,
    REPORTS_URL: reports.url,
    AUTH_RATE_LIMIT_PER_MINUTE: '1000',
    ...extra.gateway,
  });
  const gateway: RunningServer = await startHttpServer(
    buildGateway(gatewayConfig, { logger: testLogger('gateway') }),
  );

  const services = { auth, ledger, budgets, reports };
  // Services start without waiting for the broker; a consumer's queue exists only once its
  // connection is up, and an event published before that reaches no queue (docs/events.md). Real
  // deployments start consumers long before users act; a test acts at once, so it waits.
  await Promise.all(Object.values(services).map((service) => service.broker.whenConnected()));
  return {
    gateway: gateway.url,
    services,
    async stop() {
      await gateway.close();
      await Promise.all(Object.values(services).map((service) => service.stop()));
      const broker = await startTestBroker(`${label}-cleanup`);
      for (const name of Object.values(consumers)) await deleteTestQueues(broker, name, 3);
      await broker.stop();
      await Promise.all(Object.values(databases).map(dropTestDatabase));
    },
  };
}
