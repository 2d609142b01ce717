import { randomUUID } from 'node:crypto';
import {
  chromiumSettingsFromEnv,
  openDatabase,
  parseEvent,
  type ChromiumSettings,
  type ResolveChromiumOptions,
  type EventPayload,
  type EventPayloadInput,
  type EventType,
  type FinanceEvent,
} from '@finance/shared';
import type { DataSource } from 'typeorm';
import { createReportsDataSource } from '../src/data/data-source';
import { dispatchEvent } from '../src/events/dispatch';
import { PdfRenderer } from '../src/pdf/renderer';
import { createTestDatabase, dropTestDatabase, testLogger } from '@finance/shared/testing';

export interface TestDb {
  url: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

export async function openTestDb(label: string): Promise<TestDb> {
  const url = await createTestDatabase(label);
  const dataSource = await openDatabase(createReportsDataSource({ url, poolSize: 4 }));
  return {
    url,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await dropTestDatabase(url);
    },
  };
}

/** A validated event, as the consumer would hand it to a handler. */
export function event<T extends EventType>(
  type: T,
  userId: string,
  aggregateId: string,
  aggregateVersion: number,
  payload: EventPayloadInput<T>,
): FinanceEvent<T> {
  return parseEvent({
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    userId,
    correlationId: randomUUID(),
    aggregateId,
    aggregateVersion,
    payload,
  }) as FinanceEvent<T>;
}

/** Applies events one by one, each in its own transaction, like the consumer does. */
export async function apply(dataSource: DataSource, ...events: FinanceEvent[]): Promise<void> {
  for (const e of events) await dataSource.transaction((manager) => dispatchEvent(e, manager));
}

export function transaction(
  overrides: Partial<EventPayload<'ledger.transaction.created'>> & { accountId: string },
): EventPayload<'ledger.transaction.created'> {
  const amount = overrides.amount ?? '10.00';
  return {
    toAccountId: null,
    type: 'expense',
    amount,
    currency: 'NZD',
    baseAmount: overrides.baseAmount ?? amount,
    baseCurrency: overrides.currency ?? 'NZD',
    categoryId: null,
    date: '2026-02-01',
    description: 'Something',
    payee: null,
    notes: null,
    tags: [],
    ...overrides,
  };
}

export function category(name: string, color: string, kind: 'expense' | 'income' = 'expense') {
  return { name, color, icon: null, kind, parentId: null };
}

export function account(name: string, currency: string, openingBalance: string) {
  return { name, type: 'checking' as const, currency, openingBalance, archived: false };
}

export function user(baseCurrency: string, timezone: string) {
  return {
    email: `${randomUUID()}@example.com`,
    username: randomUUID(),
    baseCurrency,
    timezone,
    role: 'user' as const,
  };
}

/**
 * A renderer on the browser shared's resolveChromium finds (CHROMIUM_PATH, the machine's Chromium,
 * else the npm-packaged one); it launches the browser only on the first render.
 */
export function testRenderer(
  options: {
    concurrency?: number;
    timeoutMs?: number;
    chromium?: ChromiumSettings;
    resolve?: ResolveChromiumOptions;
    recheckAfterMs?: number;
  } = {},
): PdfRenderer {
  return new PdfRenderer({
    chromium: options.chromium ?? chromiumSettingsFromEnv(),
    resolve: options.resolve,
    concurrency: options.concurrency ?? 2,
    timeoutMs: options.timeoutMs ?? 15_000,
    recheckAfterMs: options.recheckAfterMs,
    logger: testLogger('pdf'),
  });
}

/** Settings under which no browser can be had: a missing explicit path (never a fallback). */
export const NO_BROWSER: ChromiumSettings = {
  explicit: { variable: 'CHROMIUM_PATH', path: '/nonexistent' },
  allowBundled: false,
};
