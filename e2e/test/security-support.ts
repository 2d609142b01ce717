import { createServer } from 'node:net';
import { createLogger, newId, type Logger } from '@finance/shared';
import { httpJson, waitFor } from '@finance/shared/testing';
import { insertReport } from '../../services/reports/src/data/monthly-reports';
import { serviceRouting } from '@finance/shared/registry';
import type { RecurringParts } from '../../services/ledger/src/jobs/recurring-scheduler';
import { startSystem, type System } from './system';
import {
  createHoldings,
  snapshot,
  documentedOperations,
  login,
  registerAndLogin,
  type DocumentedOperation,
  type Holdings,
  type OpenApiDocument,
  type Person,
  type RawAnswer,
} from './hostile-support';

/**
 * What the security suites share: the whole system with two users holding one of everything
 * (both in JPY, so one valid body fits either), an admin, the merged OpenAPI document, every log
 * line the services and the gateway wrote, and one valid request of every operation for either user.
 */
export interface SecurityWorld {
  system: System;
  api: string;
  alice: Person;
  bob: Person;
  admin: Person;
  mine: Holdings;
  theirs: Holdings;
  /** Alice's side and Bob's: who, what they hold, and a monthly report of theirs. */
  a: Side;
  b: Side;
  document: OpenApiDocument;
  operations: DocumentedOperation[];
  /** Every log line written so far, as written (JSON), by every service and the gateway. */
  logLines: string[];
  webhookUrl: string;
}

export const ADMIN = { email: 'root@example.com', username: 'root', password: 'root password 1' };

/** One user and everything of theirs. */
export interface Side {
  person: Person;
  holdings: Holdings;
  report: string;
}

/**
 * A monthly report stored the way the job stores one (its own data function), with a stand-in
 * PDF: rendering one in Chromium takes seconds and is the reports service's own tests' business.
 */
async function storeReport(system: System, userId: string): Promise<string> {
  const id = newId();
  await insertReport(system.services.reports.dataSource.manager, {
    id,
    userId,
    month: '2026-01',
    currency: 'JPY',
    incomeMinor: 1200n,
    expenseMinor: 1200n,
    pdf: Buffer.from('%PDF-1.4\n%stand-in\n'),
  });
  return id;
}

/** A TCP port of this machine that was free a moment ago and that nothing listens on. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the system for a security suite. Logs are captured at `info` through the services' own
 * logger (its redaction included), so a secret that would reach production logs reaches the scan.
 */
export async function startSecurityWorld(
  label: string,
  extra: Record<string, Record<string, string>> = {},
): Promise<SecurityWorld> {
  const logLines: string[] = [];
  const capture = capturingLogger(logLines);
  const webhookUrl = `http://127.0.0.1:${await closedPort()}/security`;
  const system = await startSystem(
    label,
    {
      ...extra,
      auth: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_USERNAME: ADMIN.username,
        ADMIN_PASSWORD: ADMIN.password,
        ...extra.auth,
      },
      gateway: { RATE_LIMIT_PER_MINUTE: '1000000', ...extra.gateway },
      // A rule applied to more than one transaction is a background job (the holdings have one).
      ledger: { RULE_APPLY_SYNC_LIMIT: '1', ...extra.ledger },
      notifier: {
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        // Nothing is delivered: deliveries stay as written, so nothing changes between snapshots.
        DELIVERY_WORKERS: 'false',
        ...extra.notifier,
      },
    },
    { logger: capture },
  );
  try {
    const api = system.gateway;
    const [alice, bob] = await Promise.all([
      registerAndLogin(api, `${label}_alice`, { base_currency: 'JPY' }),
      registerAndLogin(api, `${label}_bob`, { base_currency: 'JPY' }),
    ]);
    const adminToken = await login(api, ADMIN.username, ADMIN.password);
    const me = await httpJson('GET', `${api}/users/me`, { token: adminToken });
    const admin: Person = { ...ADMIN, userId: me.body.id as string, token: adminToken };
    const [mine, theirs] = await Promise.all([
      createHoldings(api, alice, 'JPY', 'Alice', webhookUrl),
      createHoldings(api, bob, 'JPY', 'Bob', webhookUrl),
    ]);
    // One scheduler round: recurring[0]'s past dates now await approval (approve has one to find).
    await (system.services.ledger.parts as RecurringParts).runRecurringRound(new Date());
    const [myReport, theirReport] = await Promise.all([
      storeReport(system, alice.userId),
      storeReport(system, bob.userId),
    ]);
    const document = (await httpJson('GET', `${api}/openapi.json`)).body as OpenApiDocument;
    return {
      system,
      api,
      alice,
      bob,
      admin,
      mine,
      theirs,
      a: { person: alice, holdings: mine, report: myReport },
      b: { person: bob, holdings: theirs, report: theirReport },
      document,
      operations: documentedOperations(document),
      logLines,
      webhookUrl,
    };
  } catch (error) {
    await system.stop();
    throw error;
  }
}

/** Operations only an admin may call: a user is answered 403 there, by design (not an ownership question). */
export const isAdminOperation = (operation: { path: string; operation?: object }) =>
  operation.path.startsWith('/admin/') ||
  (operation.operation as { 'x-required-role'?: unknown } | undefined)?.['x-required-role'] === 'admin';

/** Operations anyone may call without a token. */
export const isOpenOperation = (operation: DocumentedOperation) =>
  Array.isArray(operation.operation.security) && operation.operation.security.length === 0;

/** One request of an operation: its path (query included) and JSON body. */
export interface ValidRequest {
  path: string;
  body?: Record<string, unknown>;
}

/**
 * The id of a person's resource for each path parameter, by the path's first segment (and
 * `contribution_id`): what the BOLA matrix swaps between users. A service whose paths are not
 * here makes the matrix fail naming the operation.
 */
export function pathIdsOf(side: Side, template: string): Record<string, string> | undefined {
  const { holdings } = side;
  const resource = template.startsWith('/import/mappings/')
    ? 'import-mappings'
    : template.startsWith('/rules/jobs/')
      ? 'rule-jobs'
      : template.startsWith('/rules/suggestions/')
        ? 'rule-suggestions'
        : template.split('/')[1];
  const id = {
    import: holdings.imports[0],
    'import-mappings': holdings.mappings[0],
    accounts: holdings.accounts[1],
    transactions: holdings.transactions[0],
    budgets: holdings.budgets[0],
    categories: holdings.categories.child,
    goals: holdings.goals[0],
    notifications: holdings.notifications[0],
    webhooks: holdings.webhooks[0],
    reports: side.report,
    recurring: holdings.recurring[0],
    rules: holdings.rules[0],
    'rule-jobs': holdings.ruleJobs[0],
    'rule-suggestions': holdings.suggestions[0],
  }[resource];
  if (!id) return undefined;
  // `date`: the first occurrence of recurring[0], awaiting approval after the world's scheduler round.
  return { id, contribution_id: holdings.contributions[0], date: '2026-01-01' };
}

/** The person's resource each id-carrying body field or query parameter names. */
export function fieldIdsOf(side: Side): Record<string, string> {
  const { holdings } = side;
  return {
    account_id: holdings.accounts[0],
    to_account_id: holdings.accounts[1],
    category_id: holdings.categories.own,
    parent_id: holdings.categories.own,
    reassign_to: holdings.categories.groceries,
    transaction_id: holdings.transactions[0],
  };
}

/** Fields and query parameters that carry the id of a resource. */
export const isIdName = (name: string) => /(^|_)id$/.test(name) || name === 'reassign_to';

/**
 * A request each operation accepts from `person` (whose holdings `own` are), keyed like the
 * document (`PUT /accounts/{id}`). Paths are templates filled with the person's ids. The suites
 * fail, naming it, for an operation of the document missing here.
 */
export function validRequests(side: Side): Record<string, ValidRequest> {
  const { person, holdings: own } = side;
  const transaction = {
    account_id: own.accounts[0],
    amount: '1500',
    transaction_type: 'expense',
    description: 'security',
    date: '2026-01-20',
    category_id: own.categories.groceries,
    tags: ['a'],
  };
  const budget = {
    name: 'Security',
    category_id: own.categories.own,
    amount: '5000',
    period: 'monthly',
    start_date: '2026-01-01',
  };
  const account = { name: 'Security', type: 'cash', currency: 'JPY', opening_balance: '100' };
  const category = { name: 'Security', color: '#ABCDEF', kind: 'expense', parent_id: own.categories.own };
  const goal = { name: 'Security', target_amount: '5000', deadline: '2027-06-30' };
  const webhook = { url: 'http://127.0.0.1:9/security', event_types: ['import_completed'] };
  const rule = {
    name: 'Security rule',
    conditions: [{ field: 'description', operator: 'equals', value: 'nothing has this' }],
    actions: [{ type: 'set_category', category_id: own.categories.own }],
  };
  const preferences = { quiet_hours: { start: '23:00', end: '06:30' } };
  const template = {
    account_id: own.accounts[0],
    amount: '1500',
    transaction_type: 'expense',
    description: 'security',
    category_id: own.categories.own,
    frequency: 'monthly',
    start_date: '2027-01-01',
    auto_create: false,
  };
  const fill = (template: string) => {
    const ids = pathIdsOf(side, template) ?? {};
    return template.replace(/\{(\w+)\}/g, (_, name: string) => ids[name]);
  };
  const table: Record<string, { body?: Record<string, unknown>; query?: string }> = {
    'GET /.well-known/jwks.json': {},
    'POST /accounts': { body: account },
    'GET /accounts': {},
    'GET /accounts/{id}': {},
    'PUT /accounts/{id}': { body: account },
    'PATCH /accounts/{id}': { body: { name: 'Security' } },
    'DELETE /accounts/{id}': {},
    // A balance that does not match: 409 with the difference (a control is not a 404), nothing changes.
    'POST /accounts/{id}/reconcile': { body: { statement_balance: '987654', statement_date: '2026-01-31' } },
    'GET /accounts/{id}/reconciliations': {},
    'GET /admin/users': {},
    'PATCH /admin/users/{id}': { body: { is_active: true } },
    // Announced by issue 19 (the admin API is being completed): ready before they are merged.
    'GET /admin/users/{id}': {},
    'POST /admin/users/{id}/revoke-sessions': {},
    'GET /admin/stats': {},
    'GET /admin/audit': {},
    'GET /users/me/security-events': {},
    'GET /analytics/budget-status': {},
    'GET /analytics/cashflow': { query: `account_id=${own.accounts[0]}` },
    'GET /analytics/income-vs-expense': {},
    'GET /analytics/net-worth': { query: 'from=2026-01-01&to=2026-03-31&granularity=month' },
    'GET /accounts/{id}/balance-history': { query: 'from=2026-01-01&to=2026-03-31' },
    'GET /analytics/spending': { query: `account_id=${own.accounts[0]}&category_id=${own.categories.own}` },
    'GET /analytics/trends': {},
    'POST /auth/login': { body: { username: person.username, password: 'not the password' } },
    'POST /auth/logout': { body: { refresh_token: 'r'.repeat(43) } },
    'POST /auth/logout-all': {},
    'POST /auth/refresh': { body: { refresh_token: 'r'.repeat(43) } },
    'POST /auth/register': {
      body: { email: 'newcomer@example.com', username: 'newcomer', password: 'correct horse battery' },
    },
    'POST /budgets': { body: budget },
    'GET /budgets': { query: `category_id=${own.categories.own}` },
    'GET /budgets/{id}': {},
    'PUT /budgets/{id}': { body: budget },
    'PATCH /budgets/{id}': { body: { name: 'Security' } },
    'DELETE /budgets/{id}': {},
    'POST /categories': { body: category },
    'GET /categories': {},
    'GET /categories/{id}': {},
    'PUT /categories/{id}': { body: category },
    'PATCH /categories/{id}': { body: { name: 'Security' } },
    'DELETE /categories/{id}': { query: `reassign_to=${own.categories.groceries}` },
    'GET /export/csv': { query: `account_id=${own.accounts[0]}&category_id=${own.categories.own}` },
    'GET /export/pdf': {},
    'POST /goals': { body: { ...goal, account_id: own.accounts[1] } },
    'GET /goals': {},
    'GET /goals/{id}': {},
    'PUT /goals/{id}': { body: goal },
    'PATCH /goals/{id}': { body: { name: 'Security' } },
    'DELETE /goals/{id}': {},
    'POST /goals/{id}/contribute': { body: { transaction_id: own.transactions[0], amount: '100' } },
    'GET /goals/{id}/contributions': {},
    'GET /goals/{id}/contributions/{contribution_id}': {},
    'DELETE /goals/{id}/contributions/{contribution_id}': {},
    'GET /goals/{id}/progress': {},
    'GET /notifications': {},
    'GET /notifications/{id}': {},
    'DELETE /notifications/{id}': {},
    'POST /notifications/{id}/read': {},
    'GET /notifications/preferences': {},
    'PUT /notifications/preferences': { body: preferences },
    'PATCH /notifications/preferences': { body: preferences },
    'POST /notifications/read-all': {},
    'GET /notifications/unread-count': {},
    'GET /reports': {},
    'GET /reports/{id}/pdf': {},
    'POST /transactions': { body: transaction },
    'GET /transactions': { query: `account_id=${own.accounts[0]}&category_id=${own.categories.groceries}` },
    'GET /transactions/{id}': {},
    'PUT /transactions/{id}': { body: transaction },
    'PATCH /transactions/{id}': { body: { description: 'security' } },
    'DELETE /transactions/{id}': {},
    'GET /transactions/{id}/audit': {},
    'POST /transactions/bulk': {
      body: { operations: [{ op: 'patch', id: own.transactions[0], body: { description: 'security' } }] },
    },
    'GET /users/me': {},
    'PUT /users/me': { body: { timezone: 'UTC' } },
    'DELETE /users/me': { body: { password: 'not the password' } },
    'PUT /users/me/password': {
      body: { current_password: 'not the password', new_password: 'another good password' },
    },
    'POST /recurring': { body: template },
    'GET /recurring': {},
    'GET /recurring/due': {},
    'GET /recurring/{id}': {},
    'PUT /recurring/{id}': { body: template },
    'PATCH /recurring/{id}': { body: { description: 'security' } },
    'DELETE /recurring/{id}': {},
    'GET /recurring/{id}/occurrences': {},
    'POST /recurring/{id}/occurrences/{date}/approve': { body: { amount: '100' } },
    'POST /recurring/{id}/occurrences/{date}/skip': {},
    'POST /recurring/{id}/process': { body: { date: '2027-01-01' } },
    'GET /accounts/balances': {},
    'GET /currencies': {},
    'GET /currencies/base-change': {},
    'GET /exchange-rates': {},
    'PUT /exchange-rates': {
      body: { rates: [{ base: 'EUR', quote: 'JPY', date: '2026-01-20', rate: '160.25' }] },
    },
    'POST /exchange-rates/import': {},
    'POST /import/exchange-rates': {},
    'POST /import/csv': { query: 'dry_run=true' },
    'POST /import/ofx': { query: 'dry_run=true' },
    'POST /import/camt': { query: 'dry_run=true' },
    'GET /import': {},
    'GET /import/{id}': {},
    'DELETE /import/{id}': {},
    'POST /import/mappings': {
      body: { name: 'Security mapping', mapping: { columns: { date: 'date', amount: 'amount' } } },
    },
    'GET /import/mappings': {},
    'GET /import/mappings/{id}': {},
    'PUT /import/mappings/{id}': {
      body: { name: 'Security mapping 2', mapping: { columns: { date: 'date', amount: 'amount' } } },
    },
    'DELETE /import/mappings/{id}': {},
    'POST /rules': { body: rule },
    'GET /rules': {},
    'GET /rules/{id}': {},
    'PUT /rules/{id}': { body: rule },
    'PATCH /rules/{id}': { body: { name: 'Security rule 2' } },
    'DELETE /rules/{id}': {},
    'POST /rules/test': { body: { rule, last: 5 } },
    'POST /rules/{id}/apply': { query: 'from=2026-01-01&to=2026-01-31' },
    'GET /rules/jobs/{id}': {},
    'GET /rules/suggestions': {},
    'DELETE /rules/suggestions/{id}': {},
    'POST /transactions/convert': { body: { transaction_id: own.transactions[0], to: 'USD' } },
    'POST /webhooks': { body: webhook },
    'GET /webhooks': {},
    'GET /webhooks/{id}': {},
    'PUT /webhooks/{id}': { body: webhook },
    'DELETE /webhooks/{id}': {},
    'GET /webhooks/{id}/deliveries': {},
    'POST /webhooks/{id}/rotate-secret': {},
    'POST /webhooks/{id}/test': {},
  };
  return Object.fromEntries(
    Object.entries(table).map(([key, { body, query }]) => {
      const template = key.split(' ')[1];
      // An admin route names a user: this one.
      const path = template.startsWith('/admin/users/{id}')
        ? template.replace('{id}', person.userId)
        : fill(template);
      return [key, { path: query ? `${path}?${query}` : path, body }];
    }),
  );
}

/** The operations of the document that `table` has no entry for: the suites fail naming them. */
export function uncovered(operations: DocumentedOperation[], table: Record<string, unknown>): string[] {
  return operations.map((operation) => operation.key).filter((key) => !(key in table));
}

/** The service that answers a path: the registry's most specific matching path (what the gateway routes by). */
export function serviceOf(path: string): string {
  const owner = serviceRouting(path);
  if (!owner) throw new Error(`${path}: no service in the registry routes it`);
  return owner;
}

let credentialClients = 0;
/**
 * A loopback address of its own for each request to a credential route (login, register): what a
 * generated suite sends there is judged by auth, not stopped by the gateway's per-address limit.
 */
export function credentialClientFor(path: string): string | undefined {
  if (!path.startsWith('/auth/')) return undefined;
  credentialClients += 1;
  return `127.0.${2 + Math.floor(credentialClients / 250)}.${1 + (credentialClients % 250)}`;
}

/** The token an operation is sent with by `side`: none where it is open, the admin's on admin routes. */
export function tokenOf(world: SecurityWorld, op: DocumentedOperation, side: Side): string | undefined {
  if (isOpenOperation(op)) return undefined;
  return isAdminOperation(op) ? world.admin.token : side.person.token;
}

/**
 * `snapshot` of hostile-support, read again while any read of it answers a 5xx: a snapshot is
 * some sixty reads at once, and on two cores shared with other suites a service's pool may keep
 * one waiting past its 5 s connection timeout (a 503). That is load, not a change of data; a 5xx
 * to an attack is judged where the attack is sent, never here.
 */
export function stableSnapshot(api: string, side: Side): Promise<unknown> {
  return waitFor(
    async () => {
      const taken = await snapshot(api, side.person, side.holdings);
      const answers = taken as Array<readonly [string, number, unknown]>;
      const failed = answers.find(([, status]) => status >= 500);
      if (failed) throw new Error(`${failed[0]} answered ${failed[1]}`);
      return taken;
    },
    { timeoutMs: 30_000, description: `a snapshot of ${side.person.username}'s data` },
  );
}

/** The security headers the gateway sets on every answer (helmet), by name and what each must say. */
export const SECURITY_HEADERS: Record<string, RegExp> = {
  'x-content-type-options': /^nosniff$/,
  'content-security-policy': /frame-ancestors 'none'/,
  'strict-transport-security': /max-age=\d+/,
  'x-frame-options': /^(DENY|SAMEORIGIN)$/,
  'referrer-policy': /no-referrer/,
};

/** What an error body must never show: how the code, the database or the deployment looks inside. */
const INTERNALS: Array<[string, RegExp]> = [
  ['a stack trace', /\bat [\w$.<>]+ \(|\.[jt]s:\d+:\d+/],
  ['a source path', /node_modules|\/(src|dist)\/[\w/-]+\.[jt]s/],
  ['SQL', /\bSELECT\b[^"]*\bFROM\b|INSERT INTO|DELETE FROM|UPDATE "?\w+"? SET/],
  [
    'a database error',
    /QueryFailedError|duplicate key value|violates (foreign key|unique|check|not-null) constraint|syntax error at or near|invalid input syntax for/,
  ],
  ['a JavaScript error', /\b(TypeError|ReferenceError|RangeError)\b|Cannot read propert/],
  ['a connection string', /(postgres|amqp|redis):\/\//],
  ['a network error', /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up/],
];

/** What no answer and no log line may hold: a password hash, a password field with a value. */
const SECRETS_ANYWHERE: Array<[string, RegExp]> = [
  ['a bcrypt hash', /\$2[aby]\$\d\d\$[./A-Za-z0-9]{20,}/],
  ['a password value', /"(password|password_hash|new_password|current_password)"\s*:\s*"(?!\[redacted\])/],
  ['a private key', /-----BEGIN (RSA )?PRIVATE KEY-----|private_key_pem/],
];

/**
 * What is wrong with one answer as far as headers and disclosure go: the gateway's security
 * headers missing (`viaGateway`), an `X-Powered-By`, internals in an error body (the services'
 * own addresses included), or a secret anywhere.
 */
export function answerFlaws(
  world: Pick<SecurityWorld, 'system'>,
  answer: RawAnswer,
  viaGateway: boolean,
): string[] {
  const flaws: string[] = [];
  if (viaGateway)
    for (const [name, expected] of Object.entries(SECURITY_HEADERS)) {
      const value = answer.headers[name];
      if (typeof value !== 'string' || !expected.test(value)) flaws.push(`header ${name}: ${String(value)}`);
    }
  if (answer.headers['x-powered-by']) flaws.push(`x-powered-by: ${String(answer.headers['x-powered-by'])}`);
  if (answer.status >= 400) {
    for (const [what, pattern] of INTERNALS) if (pattern.test(answer.text)) flaws.push(`shows ${what}`);
    for (const service of Object.values(world.system.services))
      if (answer.text.includes(new URL(service.url).host)) flaws.push(`shows a service's address`);
  }
  for (const [what, pattern] of SECRETS_ANYWHERE)
    if (pattern.test(answer.text)) flaws.push(`answers ${what}`);
  return flaws;
}

/**
 * The log lines of the run holding a secret: any of `secrets` (passwords, tokens a test knows),
 * a webhook signing secret, a password hash or a password field. Each finding names the line's
 * service and message, never the secret.
 */
export function secretsInLogs(lines: string[], secrets: Array<[string, string]>): string[] {
  const found: string[] = [];
  for (const line of lines) {
    let where = 'a line';
    try {
      const parsed = JSON.parse(line) as { service?: string; msg?: string };
      where = `${parsed.service ?? '?'}: ${parsed.msg ?? ''}`.slice(0, 120);
    } catch {
      // not JSON: named as "a line"
    }
    for (const [what, secret] of secrets)
      if (secret && line.includes(secret)) found.push(`${where} holds ${what}`);
    if (/whsec_[A-Za-z0-9+/=_-]{8,}/.test(line)) found.push(`${where} holds a webhook secret`);
    for (const [what, pattern] of SECRETS_ANYWHERE)
      if (pattern.test(line)) found.push(`${where} holds ${what}`);
  }
  return [...new Set(found)];
}

/** The secrets every world knows: its users' passwords and access tokens (a test adds the refresh tokens it saw). */
export function knownSecrets(world: SecurityWorld): Array<[string, string]> {
  return [
    ['a password', world.alice.password],
    ['the admin password', world.admin.password],
    ['an access token', world.alice.token],
    ['an access token', world.bob.token],
    ['an access token', world.admin.token],
  ];
}

/** A logger per service that appends every line, as production writes it, to `lines`. */
export function capturingLogger(lines: string[]): (name: string) => Logger {
  return (name) =>
    createLogger(name, 'info', {
      write: (line: string) => {
        lines.push(line);
      },
    });
}
