import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromiumSettingsFromEnv,
  parseEvent,
  type ChromiumSettings,
  type ResolveChromiumOptions,
  type EventPayload,
  type EventPayloadInput,
  type EventType,
  type FinanceEvent,
} from '@finance/shared';
import {
  startTestService,
  testLogger,
  type TestService,
  type TestTokenIssuer,
} from '@finance/shared/testing';
import reports, { type ReportsParts } from '../src/service';
import { PdfRenderer } from '../src/pdf/renderer';

export type ReportsService = TestService<ReportsParts>;

/** The browser choice of the machine running the tests (CI may name one; else the system's or the npm one). */
export function browserEnvironment(): Record<string, string> {
  const names = ['CHROMIUM_PATH', 'PUPPETEER_EXECUTABLE_PATH', 'CHROMIUM_BUNDLED'];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

/** Environment under which no browser can be had: a missing explicit path (never a fall-back), no npm browser. */
export const NO_BROWSER_ENV = { CHROMIUM_PATH: '/nonexistent', CHROMIUM_BUNDLED: 'false' };

/**
 * Reports started from its definition as main.ts starts it (startTestService: its own database and
 * queues, the real PostgreSQL and RabbitMQ), verifying the tokens of `issuer`. The monthly job is not
 * scheduled (`REPORTS_CRON=off`): tests run it with `service.parts.monthlyReports.run()`, at the
 * service's clock. `browser: false` is for tests that render no PDF: no Chromium is started.
 */
export function startReports(
  label: string,
  options: {
    /** Whose tokens it accepts (tests that make no request need none). */
    issuer?: TestTokenIssuer;
    clock?: () => Date;
    browser?: boolean;
    env?: Record<string, string>;
  },
): Promise<ReportsService> {
  return startTestService(reports, {
    label,
    clock: options.clock,
    env: {
      ...(options.issuer ? { JWKS_URL: options.issuer.jwksUrl } : {}),
      REPORTS_CRON: 'off',
      ...(options.browser === false ? NO_BROWSER_ENV : browserEnvironment()),
      ...options.env,
    },
  });
}

/** Applies events one by one, each exactly as a delivery would (inbox + handler in one transaction). */
export async function apply(
  service: Pick<ReportsService, 'consumer'>,
  ...events: FinanceEvent[]
): Promise<void> {
  for (const e of events) await service.consumer.apply(e);
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
    splits: [],
    cleared: 'uncleared',
    ...overrides,
  };
}

export function category(name: string, color: string, kind: 'expense' | 'income' = 'expense') {
  return { name, color, icon: null, kind, parentId: null };
}

export function account(name: string, currency: string, openingBalance: string) {
  return { name, type: 'checking' as const, currency, openingBalance, archived: false };
}

/** A user profile as auth's events carry it. */
export function profile(baseCurrency: string, timezone: string, sessionVersion = 0) {
  return {
    email: `${randomUUID()}@example.com`,
    username: randomUUID(),
    baseCurrency,
    timezone,
    role: 'user' as const,
    sessionVersion,
    isActive: true,
  };
}

/**
 * A renderer of its own, for tests of the renderer itself (concurrency, timeout, which browser), on
 * the browser shared's resolveChromium finds (CHROMIUM_PATH, the machine's Chromium, else the
 * npm-packaged one); it launches the browser only on the first render.
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

/**
 * The PDF's text as pdf.js reads it (unpdf), so no system package (poppler) is needed. pdf.js is
 * ES-module only, which jest's CommonJS runtime cannot import: it runs in a child Node process.
 */
export function pdfText(pdf: Buffer, label = 'report'): Promise<string> {
  // SAVE_SAMPLE_PDF=/tmp/sample keeps the rendered files to look at.
  if (process.env.SAVE_SAMPLE_PDF) writeFileSync(`${process.env.SAVE_SAMPLE_PDF}-${label}.pdf`, pdf);
  const script = `
    import { extractText } from 'unpdf';
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    const { text } = await extractText(new Uint8Array(Buffer.concat(chunks)), { mergePages: true });
    process.stdout.write(text);`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: join(__dirname, '..'), maxBuffer: 16 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
    child.stdin?.end(pdf);
  });
}
