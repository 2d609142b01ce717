import { parseConfig, type Logger, type ServiceDefinition } from '@finance/shared';
import { registeredServices } from '@finance/shared/registry';
import { startTestService, type TestService } from '@finance/shared/testing';
import { gatewayConfigSchema } from '../../services/gateway/src/config';
import { startGateway, type RunningGateway } from '../../services/gateway/src/main';

export interface System {
  /** The gateway's URL: what clients use. */
  gateway: string;
  /** Every registered service, started from its definition, by name. */
  services: Record<string, TestService>;
  stop(): Promise<void>;
}

/** A service's definition: the default export of `services/<name>/src/service.ts` (the contract's convention). */
function definitionOf(name: string): ServiceDefinition {
  return (require(`../../services/${name}/src/service`) as { default: ServiceDefinition }).default;
}

/**
 * The whole system in this process: every service of the registry (services.json) started from its
 * definition on a fresh database with queues of its own, the real broker, and the gateway in front,
 * routing by the registry. `extra` adds environment to one service (an admin for auth, say) or the
 * gateway (a higher rate limit for a walk of thousands of requests). A service added to the
 * registry is in every e2e run without anyone editing this file.
 */
/**
 * The bounded wait for what another service created a moment ago (2 s in production) is longer
 * here: on two cores running two whole systems and other suites, an event can take seconds, and the
 * journeys test that a client may use at once what it created, not how fast the machine is.
 */
const LOADED_MACHINE = { READ_YOUR_WRITES_WAIT_MS: '8000' };

export async function startSystem(
  label: string,
  extra: Record<string, Record<string, string>> = {},
  /** `logger(name)`: each service's and the gateway's logger (default: silent), for a test that reads log lines. */
  options: { logger?: (name: string) => Logger } = {},
): Promise<System> {
  const registry = registeredServices();
  const api = registry.filter((service) => service.role === 'api');
  const edge = registry.find((service) => service.role === 'edge');
  const services: Record<string, TestService> = {};
  let gateway: RunningGateway | undefined;
  try {
    // Auth first: every other service verifies tokens with its JWKS.
    const auth = api.find((service) => service.name === 'auth');
    if (!auth) throw new Error('services.json has no auth');
    services.auth = await startTestService(definitionOf('auth'), {
      label: `${label}_auth`,
      env: { BCRYPT_ROUNDS: '4', ...LOADED_MACHINE, ...extra.auth },
      logger: options.logger?.('auth'),
    });
    const jwks = { JWKS_URL: `${services.auth.url}/.well-known/jwks.json` };
    const started = await Promise.all(
      api
        .filter((service) => service.name !== 'auth')
        .map(async (service) => {
          const running = await startTestService(definitionOf(service.name), {
            label: `${label}_${service.name}`,
            // No scheduled job acts behind a test's back (a monthly report mid-run, say); a test asks for one.
            env: {
              ...jwks,
              ...LOADED_MACHINE,
              ...(service.name === 'reports' ? { REPORTS_CRON: 'off' } : {}),
              ...(service.name === 'ledger' ? { RECURRING_SCHEDULE: 'off' } : {}),
              ...extra[service.name],
            },
            logger: options.logger?.(service.name),
          });
          return [service.name, running] as const;
        }),
    );
    for (const [name, running] of started) services[name] = running;

    gateway = await startGateway(
      parseConfig(gatewayConfigSchema, {
        PORT: '0',
        HOST: '127.0.0.1',
        METRICS_PORT: '0',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...jwks,
        ...Object.fromEntries(api.map((service) => [service.urlVariable, services[service.name].url])),
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
        ...(edge ? extra[edge.name] : {}),
      }),
      { logger: options.logger?.('gateway') },
    );
  } catch (error) {
    await Promise.allSettled(Object.values(services).map((service) => service.close()));
    throw error;
  }
  const running = gateway;
  return {
    gateway: running.url,
    services,
    async stop() {
      await running.stop();
      await Promise.all(Object.values(services).map((service) => service.close()));
    },
  };
}
