import { request as httpRequest } from 'node:http';
import { httpJson, waitFor } from '@finance/shared/testing';

/** One answer as it came off the wire: status, content type, raw text and (when JSON) the parsed body. */
export interface RawAnswer {
  status: number;
  contentType: string;
  /** Every response header, as node parsed them. */
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/**
 * HTTP without fetch's helpfulness: the path is sent exactly as written (`../`, `%00`, malformed
 * escapes are not normalised away) and the body is sent as the given bytes with the given type.
 */
export function rawRequest(
  method: string,
  base: string,
  path: string,
  options: {
    token?: string;
    body?: string;
    contentType?: string;
    headers?: Record<string, string>;
    /** The loopback address to send from (127.0.0.2, …): another client, as far as per-address limits go. */
    localAddress?: string;
  } = {},
): Promise<RawAnswer> {
  const url = new URL(base);
  const headers: Record<string, string | number> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    headers['content-length'] = Buffer.byteLength(options.body);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      // Only what node refuses to send is escaped (spaces, controls, non-ASCII); `%00`, `../` stay raw.
      {
        host: url.hostname,
        port: url.port,
        method,
        path: path.replace(/[^\x21-\x7e]/gu, encodeURIComponent),
        headers,
        agent: false,
        localAddress: options.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            headers: res.headers,
            text,
            json,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface Person {
  username: string;
  userId: string;
  token: string;
  password: string;
}

export async function registerAndLogin(
  api: string,
  username: string,
  extra: { base_currency?: string; timezone?: string } = {},
): Promise<Person> {
  const password = 'correct horse battery';
  const registered = await httpJson('POST', `${api}/auth/register`, {
    body: { email: `${username}@example.com`, username, password, ...extra },
  });
  if (registered.status !== 201) throw new Error(`register ${username}: ${registered.status}`);
  return {
    username,
    userId: registered.body.id as string,
    password,
    token: await login(api, username, password),
  };
}

export async function login(api: string, username: string, password: string): Promise<string> {
  const res = await httpJson('POST', `${api}/auth/login`, { body: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  return res.body.access_token as string;
}

/** The resources a person owns, created through the API like a client would. */
export interface Holdings {
  accounts: string[];
  categories: { groceries: string; salary: string; own: string; child: string };
  transactions: string[];
  budgets: string[];
  /** [one holding a manual and a linked contribution, one holding nothing] */
  goals: string[];
  /** goals[0]'s: [manual, linked to the salary] */
  contributions: string[];
  /** [subscribed to goal milestones (so it has deliveries), subscribed to imports only] */
  webhooks: string[];
  /** The two milestone notifications goals[0]'s contributions raised, newest first. */
  notifications: string[];
  /**
   * Recurring templates awaiting approval: [monthly from 2026-01-01 with its past dates (booked by
   * nothing while the ledger's scheduler is off), monthly from 2027-01-01: the one DELETE removes]
   */
  recurring: string[];
  /** A completed import that created nothing (its one row duplicates transactions[0]). */
  imports: string[];
  /** A saved import mapping. */
  mappings: string[];
  /** A rule that matches none of the person's transactions (so it changes nothing during a walk). */
  rules: string[];
  /** A completed background application of rules[0] (the worlds apply at once to one transaction only). */
  ruleJobs: string[];
  /** A rule suggestion, from two transactions re-categorised to Dining. */
  suggestions: string[];
}

/** What a person's holdings are made of in their currency (the walk's JPY user and BHD user). */
const AMOUNTS: Record<string, { transaction: string; budget: string; target: string; manual: string }> = {
  // 1000 of 4000 is 25 % (a milestone), with the 1200 salary 55 % (another).
  JPY: { transaction: '1200', budget: '12000', target: '4000', manual: '1000' },
  BHD: { transaction: '12.345', budget: '123.450', target: '40.000', manual: '10.000' },
};

/**
 * Creates a person's holdings and waits until everything their creation set off has arrived (the
 * milestone notifications), so that nothing changes by itself during the walk. Budgets are ten
 * times what is spent: no budget alert is raised, whose arrival would race the first snapshot.
 * Webhook secrets are answered once, at creation, and never kept here.
 */
export async function createHoldings(
  api: string,
  person: Person,
  currency: keyof typeof AMOUNTS,
  marker: string,
  webhookUrl: string,
): Promise<Holdings> {
  const { token } = person;
  const amounts = AMOUNTS[currency];
  const post = async (path: string, body: unknown) => {
    const res = await httpJson('POST', `${api}${path}`, { token, body });
    if (res.status !== 201)
      throw new Error(`POST ${path} for ${person.username}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  /** A POST that depends on what a service learns from events: retried until it has. */
  const postOnceKnown = (path: string, body: unknown) =>
    waitFor(
      async () => {
        const res = await httpJson('POST', `${api}${path}`, { token, body });
        // Thrown, not returned: waitFor keeps the last error and names it if it times out.
        if (res.status !== 201) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
        return res.body.id as string;
      },
      { description: `${person.username}'s POST ${path}` },
    );
  const defaults = await waitFor(
    async () => {
      const res = await httpJson('GET', `${api}/categories?limit=200`, { token });
      return res.status === 200 && res.body.data.length > 0
        ? (res.body.data as Array<{ id: string; name: string }>)
        : undefined;
    },
    { description: `${person.username}'s default categories` },
  );
  const named = (name: string) => defaults.find((c) => c.name === name)?.id as string;
  const own = await post('/categories', { name: `${marker} Category`, color: '#123456', kind: 'expense' });
  const child = await post('/categories', {
    name: `${marker} Child`,
    color: '#654321',
    kind: 'expense',
    parent_id: own,
  });
  const main = await post('/accounts', { name: `${marker} Main`, type: 'checking', currency });
  const savings = await post('/accounts', { name: `${marker} Savings`, type: 'savings', currency });
  const amount = amounts.transaction;
  const transactions = [
    await post('/transactions', {
      account_id: main,
      amount,
      transaction_type: 'expense',
      description: `${marker} groceries`,
      date: '2026-01-10',
      category_id: named('Groceries'),
      tags: ['food'],
    }),
    await post('/transactions', {
      account_id: main,
      amount,
      transaction_type: 'income',
      description: `${marker} salary`,
      date: '2026-01-11',
      category_id: named('Salary'),
    }),
    await post('/transactions', {
      account_id: main,
      to_account_id: savings,
      amount,
      transaction_type: 'transfer',
      description: `${marker} saving`,
      date: '2026-01-12',
    }),
  ];
  // Two transactions re-categorised by hand to Dining: a rule suggestion. Done before the budgets
  // and the goals, whose waits let the updates reach every read model before any snapshot.
  for (const day of ['2026-01-13', '2026-01-14']) {
    const coffee = await post('/transactions', {
      account_id: main,
      amount,
      transaction_type: 'expense',
      description: `${marker} coffee`,
      date: day,
    });
    const recategorised = await httpJson('PATCH', `${api}/transactions/${coffee}`, {
      token,
      body: { category_id: named('Dining') },
    });
    if (recategorised.status !== 200)
      throw new Error(`PATCH /transactions/${coffee} for ${person.username}: ${recategorised.status}`);
  }
  const rules = [
    await post('/rules', {
      name: `${marker} rule`,
      conditions: [{ field: 'description', operator: 'equals', value: `${marker} nothing has this` }],
      actions: [{ type: 'set_category', category_id: own }],
    }),
  ];
  const applied = await httpJson('POST', `${api}/rules/${rules[0]}/apply`, { token });
  if (applied.status !== 202)
    throw new Error(`POST /rules/{id}/apply for ${person.username}: ${applied.status} (a job expected)`);
  await waitFor(
    async () =>
      (await httpJson('GET', `${api}/rules/jobs/${applied.body.id}`, { token })).body?.status === 'completed',
    { description: `${person.username}'s rule job` },
  );
  const suggestions = await waitFor(
    async () => {
      const res = await httpJson('GET', `${api}/rules/suggestions`, { token });
      return res.body?.data?.length === 1 ? [res.body.data[0].id as string] : undefined;
    },
    { description: `${person.username}'s rule suggestion` },
  );

  // Budgets learn the user's base currency and categories from events.
  const budgets = [
    await postOnceKnown('/budgets', {
      name: `${marker} food`,
      category_id: own,
      amount: amounts.budget,
      period: 'monthly',
      start_date: '2026-01-01',
    }),
    await postOnceKnown('/budgets', {
      name: `${marker} all`,
      amount: amounts.budget,
      period: 'weekly',
      start_date: '2026-01-05',
    }),
  ];

  // Notifier: preferences of one's own (not the defaults), and two webhooks, before the goals'
  // milestones so that the first webhook gets a delivery of each.
  const preferences = await httpJson('PUT', `${api}/notifications/preferences`, {
    token,
    body: {
      channels: { budget_exceeded: { email: false }, monthly_report_ready: { in_app: false } },
      quiet_hours: { start: '22:00', end: '07:00' },
    },
  });
  if (preferences.status !== 200) throw new Error(`preferences of ${person.username}: ${preferences.status}`);
  const webhooks = [
    await post('/webhooks', {
      url: webhookUrl,
      event_types: ['goal_milestone_reached'],
      description: `${marker} hook`,
    }),
    await post('/webhooks', {
      url: webhookUrl,
      event_types: ['import_completed'],
      description: `${marker} spare hook`,
      active: true,
    }),
  ];

  // Recurring templates awaiting approval: nothing books or reminds during a walk (the ledger's
  // scheduler is off in e2e).
  const recurring = [
    await post('/recurring', {
      account_id: main,
      amount,
      transaction_type: 'expense',
      description: `${marker} rent`,
      category_id: own,
      frequency: 'monthly',
      start_date: '2026-01-01',
      auto_create: false,
      // Its past dates wait for approval once a scheduler round has run (the security suites run one).
      backfill: true,
    }),
    await post('/recurring', {
      account_id: main,
      amount,
      transaction_type: 'income',
      description: `${marker} salary`,
      frequency: 'monthly',
      start_date: '2027-01-01',
      auto_create: false,
    }),
  ];

  // Goals learn accounts and transactions from the ledger's events.
  const goals = [
    await postOnceKnown('/goals', {
      name: `${marker} goal`,
      target_amount: amounts.target,
      deadline: '2026-12-31',
      account_id: savings,
      notes: 'first\nsecond line',
    }),
    await postOnceKnown('/goals', { name: `${marker} empty goal`, target_amount: amounts.target }),
  ];
  const contributions = [
    await post(`/goals/${goals[0]}/contribute`, {
      amount: amounts.manual,
      date: '2026-01-15',
      note: `${marker} jar`,
    }),
    await postOnceKnown(`/goals/${goals[0]}/contribute`, { transaction_id: transactions[1] }),
  ];

  // 25 % and then 50 %: one notification each, with a delivery to the first webhook.
  const notifications = await waitFor(
    async () => {
      const res = await httpJson('GET', `${api}/notifications?limit=200`, { token });
      const data = (res.body?.data ?? []) as Array<{ id: string }>;
      return data.length === 2 ? data.map((n) => n.id) : undefined;
    },
    { description: `${person.username}'s two milestone notifications` },
  );
  // An import whose one row is transactions[0] again: completed, a duplicate, nothing created, so
  // no read model changes later; its ledger.import.completed notifies (awaited: nothing arrives mid-walk).
  const exportHeader =
    'date,transaction_type,amount,currency,account,to_account,category,description,payee,notes,tags';
  const imported = await httpJson('POST', `${api}/import/csv`, {
    token,
    body: `${exportHeader}\r\n2026-01-10,expense,${amount},${currency},${marker} Main,,Groceries,${marker} groceries,,,"[""food""]"\r\n`,
    headers: { 'content-type': 'text/csv' },
  });
  if (imported.status !== 201 || imported.body.duplicates !== 1)
    throw new Error(
      `POST /import/csv for ${person.username}: ${imported.status} ${JSON.stringify(imported.body)}`,
    );
  await waitFor(
    async () => {
      const res = await httpJson('GET', `${api}/notifications?limit=200`, { token });
      return (res.body?.data ?? []).length === 3;
    },
    { description: `${person.username}'s import notification` },
  );
  const mappings = [
    await post('/import/mappings', {
      name: `${marker} bank`,
      mapping: { columns: { date: 'date', amount: 'amount' } },
      account_id: main,
    }),
  ];
  return {
    accounts: [main, savings],
    categories: { groceries: named('Groceries'), salary: named('Salary'), own, child },
    transactions,
    budgets,
    goals,
    contributions,
    webhooks,
    notifications,
    recurring,
    imports: [imported.body.id as string],
    mappings,
    rules,
    ruleJobs: [applied.body.id as string],
    suggestions,
  };
}

/** A goal's figures as of today (`progress`) change with the date alone: the snapshot keeps the rest. */
function withoutTodaysFigures(path: string, body: unknown): unknown {
  if (/^\/goals\/[^/?]+$/.test(path) && body && typeof body === 'object' && 'progress' in body) {
    const { progress: _figuresOfToday, ...goal } = body as Record<string, unknown>;
    return goal;
  }
  return body;
}

/**
 * Everything a person can read about their own data, as one comparable value: lists and each
 * resource. A hostile request that changed anything shows up as a difference. Webhook secrets are
 * never answered by these reads; one that were would stop the walk here.
 */
export async function snapshot(api: string, person: Person, holdings: Holdings): Promise<unknown> {
  const paths = [
    '/users/me',
    '/accounts?limit=200',
    '/categories?limit=200',
    '/transactions?limit=200',
    '/budgets?limit=200',
    '/reports?limit=200',
    '/goals?limit=200',
    '/notifications?limit=200',
    '/notifications/unread-count',
    '/notifications/preferences',
    '/webhooks?limit=200',
    '/recurring?limit=200',
    '/recurring/due?limit=200',
    '/accounts/balances',
    '/rules?limit=200',
    '/rules/suggestions',
    ...holdings.rules.map((id) => `/rules/${id}`),
    ...holdings.recurring.map((id) => `/recurring/${id}`),
    ...holdings.accounts.map((id) => `/accounts/${id}`),
    ...holdings.transactions.map((id) => `/transactions/${id}`),
    ...holdings.budgets.map((id) => `/budgets/${id}`),
    `/categories/${holdings.categories.own}`,
    ...holdings.goals.flatMap((id) => [
      `/goals/${id}`,
      `/goals/${id}/contributions?limit=200`,
      // A fixed range: the series of a default range moves with today.
      `/goals/${id}/progress?from=2026-01-01&to=2026-03-31`,
    ]),
    ...holdings.contributions.map((id) => `/goals/${holdings.goals[0]}/contributions/${id}`),
    ...holdings.notifications.map((id) => `/notifications/${id}`),
    ...holdings.webhooks.flatMap((id) => [`/webhooks/${id}`, `/webhooks/${id}/deliveries?limit=200`]),
  ];
  const answers = await Promise.all(
    paths.map(async (path) => {
      let res = await httpJson('GET', `${api}${path}`, { token: person.token });
      // The snapshot measures data, not transport: a rare 502 from the gateway's pooled upstream
      // socket (seen once in ~10 runs) is read again rather than reported as a data change.
      if (res.status === 502) res = await httpJson('GET', `${api}${path}`, { token: person.token });
      if (JSON.stringify(res.body ?? null).includes('whsec_'))
        throw new Error(`GET ${path} answered a webhook secret`);
      // A resource a hostile request removed answers a problem whose request id is new every time:
      // once the removal is reported, the operations after it are not reported again for it.
      const body = res.status >= 400 ? { ...res.body, request_id: undefined } : res.body;
      return [path, res.status, withoutTodaysFigures(path, body)] as const;
    }),
  );
  return answers;
}

/** The parts of the merged OpenAPI document the generated suites read (hostile, security). */
export interface OpenApiSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: OpenApiSchema[];
  not?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: OpenApiSchema;
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: boolean | OpenApiSchema;
  required?: string[];
}
export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: OpenApiSchema;
}
export interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: OpenApiSchema }> };
  security?: unknown[];
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** One documented operation: `GET /accounts/{id}` as key, its method, path template and definition. */
export interface DocumentedOperation {
  key: string;
  method: string;
  path: string;
  operation: OpenApiOperation;
  /** The JSON body's schema, when it takes one. */
  body?: OpenApiSchema;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document, in its order. */
export function documentedOperations(document: OpenApiDocument): DocumentedOperation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        operation,
        body: operation.requestBody?.content['application/json']?.schema,
      })),
  );
}

/** The names of a path template's parameters, in order: `/goals/{id}/contributions/{contribution_id}`. */
export function pathParametersOf(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
}

/** A path template with its parameters filled in, in order. */
export function renderPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${template}: no value for {${name}}`);
    return value;
  });
}
