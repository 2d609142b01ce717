import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  REGISTRY_FILE,
  compareRouteSpecificity,
  matchesRoutePath,
  registeredServices,
  registrySchema,
  serviceRouting,
} from '../src/registry';

// The scripts read the same file without TypeScript; both readers must see the same registry.
const scriptsRegistry = require('../../scripts/lib/services.js') as {
  registeredServices: () => unknown[];
};

describe('service registry (services.json)', () => {
  it('is valid: unique ports, a database for every service but the edge', () => {
    const services = registeredServices();
    expect(services.map((s) => s.name)).toContain('gateway');
    expect(new Set(services.map((s) => s.port)).size).toBe(services.length);
  });

  it('names every service folder, and every entry has one', () => {
    const root = path.dirname(REGISTRY_FILE);
    const folders = readdirSync(path.join(root, 'services')).filter((name) =>
      existsSync(path.join(root, 'services', name, 'package.json')),
    );
    expect(
      registeredServices()
        .map((s) => s.name)
        .sort(),
    ).toEqual(folders.sort());
  });

  it('reads the same in the scripts as in TypeScript (defaults included)', () => {
    expect(JSON.parse(JSON.stringify(scriptsRegistry.registeredServices()))).toEqual(
      JSON.parse(JSON.stringify(registeredServices())),
    );
  });

  it('refuses a port taken twice and an unknown field', () => {
    const entry = {
      description: 'x',
      port: 3001,
      database: 'finance_x',
      resources: { cpu: ['1m', '1'], memory: ['1Mi', '2Mi'], heapMb: 64 },
    };
    const twice = registrySchema.safeParse({
      services: { a: entry, b: { ...entry, database: 'finance_b' } },
    });
    expect(twice.success).toBe(false);
    expect(twice.error?.issues[0].message).toMatch(/port 3001 is a's/);
    expect(registrySchema.safeParse({ services: { a: { ...entry, prot: 1 } } }).success).toBe(false);
  });

  it('routes by the most specific path: more segments, then fewer `*`; `*` is one whole segment', () => {
    expect(matchesRoutePath('/accounts/1/balance-history', '/accounts/*/balance-history')).toBe(true);
    expect(matchesRoutePath('/accounts/1/balance-history/x', '/accounts/*/balance-history')).toBe(true);
    expect(matchesRoutePath('/accounts/1/other', '/accounts/*/balance-history')).toBe(false);
    expect(matchesRoutePath('/accounts', '/accounts/*/balance-history')).toBe(false);
    expect(matchesRoutePath('/accountsX', '/accounts')).toBe(false);
    expect(
      ['/accounts', '/analytics', '/accounts/*/balance-history', '/accounts/*/x/y', '/accounts/a/b'].sort(
        compareRouteSpecificity,
      ),
    ).toEqual(['/accounts/*/x/y', '/accounts/a/b', '/accounts/*/balance-history', '/analytics', '/accounts']);
    expect(serviceRouting('/accounts/{id}/balance-history')).toBe('reports');
    expect(serviceRouting('/accounts/{id}')).toBe('ledger');
    expect(serviceRouting('/analytics/budget-status')).toBe('budgets');
    expect(serviceRouting('/analytics/net-worth')).toBe('reports');
    expect(serviceRouting('/nowhere')).toBeUndefined();
    const entry = {
      description: 'x',
      port: 3001,
      database: 'finance_x',
      resources: { cpu: ['1m', '1'], memory: ['1Mi', '2Mi'], heapMb: 64 },
    };
    expect(registrySchema.safeParse({ services: { a: { ...entry, paths: ['/a/*/b'] } } }).success).toBe(true);
    expect(registrySchema.safeParse({ services: { a: { ...entry, paths: ['/a/x*/b'] } } }).success).toBe(
      false,
    );
  });
});
