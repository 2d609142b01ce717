import { pathParametersOf, rawRequest, renderPath, type RawAnswer } from './hostile-support';
import {
  answerFlaws,
  fieldIdsOf,
  isAdminOperation,
  isIdName,
  isOpenOperation,
  pathIdsOf,
  stableSnapshot,
  knownSecrets,
  secretsInLogs,
  startSecurityWorld,
  uncovered,
  validRequests,
  type SecurityWorld,
} from './security-support';

/**
 * Broken object-level authorization (OWASP API1), generated from the merged OpenAPI document: for
 * every operation that takes an id — in its path, its body or its query — Bob sends Alice's id
 * with an otherwise valid request of his own. The answer must be 404 (never 403, which would say
 * the resource exists; never a success), must show nothing of hers, and nothing of hers may change.
 * Each case has a control: the same request with Bob's own id is not a 404, so every 404 is about
 * ownership, not a path or body the service would refuse anyway.
 */

interface BolaCase {
  operation: string;
  label: string;
  method: string;
  path: string;
  body?: Record<string, unknown>;
  /** The same request with Bob's own ids. */
  control: { path: string; body?: Record<string, unknown> };
}

describe('object and property level authorization, generated from the OpenAPI document', () => {
  let world: SecurityWorld;

  beforeAll(async () => {
    world = await startSecurityWorld('bola');
  }, 120_000);
  afterAll(async () => {
    await world?.system.stop();
  });

  /** Every case of the matrix, and the operations it could not build one for (the test fails on them). */
  function matrix(): { cases: BolaCase[]; missing: string[]; withoutIds: string[] } {
    const bobs = validRequests(world.b);
    const aliceFields = fieldIdsOf(world.a);
    const cases: BolaCase[] = [];
    const missing: string[] = [];
    const withoutIds: string[] = [];
    for (const op of world.operations) {
      if (isAdminOperation(op) || isOpenOperation(op)) continue;
      const own = bobs[op.key];
      const [ownPath, ownQuery] = own.path.split('?');
      const add = (label: string, path: string, body: Record<string, unknown> | undefined) =>
        cases.push({
          operation: op.key,
          label,
          method: op.method,
          path,
          body,
          control: { path: own.path, body: own.body },
        });
      let takesId = false;

      // Path: all of Alice's ids, and with several parameters each of hers alone among Bob's.
      const names = pathParametersOf(op.path);
      if (names.length > 0) {
        takesId = true;
        const hers = pathIdsOf(world.a, op.path);
        const his = pathIdsOf(world.b, op.path);
        if (!hers || !his || names.some((name) => !hers[name])) missing.push(`${op.key}: path ids`);
        else {
          const query = ownQuery ? `?${ownQuery}` : '';
          add("Alice's ids in the path", renderPath(op.path, hers) + query, own.body);
          // Each id alone (a date names no resource of anyone's: it is not swapped).
          const ids = names.filter(isIdName);
          if (ids.length > 1)
            for (const name of ids)
              add(
                `Alice's ${name} alone`,
                renderPath(op.path, { ...his, [name]: hers[name] }) + query,
                own.body,
              );
        }
      }

      // Body: each id-carrying field in turn Alice's.
      for (const field of Object.keys(op.body?.properties ?? {}).filter(isIdName)) {
        takesId = true;
        const hers = aliceFields[field];
        if (!hers) {
          missing.push(`${op.key}: body.${field}`);
          continue;
        }
        // A transfer's destination is only read on a transfer.
        const shape = field === 'to_account_id' ? { transaction_type: 'transfer', category_id: null } : {};
        const body = { ...own.body, ...shape, [field]: hers };
        cases.push({
          operation: op.key,
          label: `Alice's body.${field}`,
          method: op.method,
          path: own.path,
          body,
          control: { path: own.path, body: { ...own.body, ...shape, [field]: fieldIdsOf(world.b)[field] } },
        });
      }

      // Query: each id-carrying parameter in turn Alice's.
      for (const parameter of (op.operation.parameters ?? []).filter(
        (p) => p.in === 'query' && isIdName(p.name),
      )) {
        takesId = true;
        const hers = aliceFields[parameter.name];
        if (!hers) {
          missing.push(`${op.key}: query.${parameter.name}`);
          continue;
        }
        const query = new URLSearchParams(ownQuery ?? '');
        query.set(parameter.name, hers);
        const control = new URLSearchParams(ownQuery ?? '');
        control.set(parameter.name, fieldIdsOf(world.b)[parameter.name]);
        cases.push({
          operation: op.key,
          label: `Alice's query.${parameter.name}`,
          method: op.method,
          path: `${ownPath}?${query}`,
          body: own.body,
          control: { path: `${ownPath}?${control}`, body: own.body },
        });
      }
      if (!takesId) withoutIds.push(op.key);
    }
    return { cases, missing, withoutIds };
  }

  const send = (method: string, path: string, body: Record<string, unknown> | undefined) =>
    rawRequest(method, world.api, path, {
      token: world.bob.token,
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** Alice's ids and names: none may appear in an answer to Bob. */
  function hersIn(answer: RawAnswer): string | undefined {
    const { holdings } = world.a;
    const hers = [
      world.alice.userId,
      world.a.report,
      ...holdings.accounts,
      ...holdings.transactions,
      ...holdings.budgets,
      holdings.categories.own,
      holdings.categories.child,
      ...holdings.goals,
      ...holdings.contributions,
      ...holdings.webhooks,
      ...holdings.notifications,
      'Alice ',
    ];
    return hers.find((text) => answer.text.includes(text));
  }

  it("answers 404 to Bob for every id of Alice's in every operation, and changes nothing of hers", async () => {
    // Every operation needs a valid request of Bob's: a new route without one fails here, by name.
    expect(uncovered(world.operations, validRequests(world.b))).toEqual([]);
    const { cases, missing, withoutIds } = matrix();
    expect(missing).toEqual([]);
    expect(cases.length).toBeGreaterThan(50);

    const failures: string[] = [];
    const before = await stableSnapshot(world.api, world.a);
    for (const c of cases) {
      const answer = await send(c.method, c.path, c.body);
      const where = `${c.operation} [${c.label}] → ${answer.status}`;
      const shown = hersIn(answer);
      if (shown) failures.push(`${where}: shows Alice's ${shown}`);
      for (const flaw of answerFlaws(world, answer, true)) failures.push(`${where}: ${flaw}`);
      if (answer.status !== 404) failures.push(`${where}: ${answer.text.slice(0, 200)}`);
      else if (!answer.contentType.startsWith('application/problem+json'))
        failures.push(`${where}: content-type ${answer.contentType}`);
    }
    const after = await stableSnapshot(world.api, world.a);
    expect(failures).toEqual([]);
    expect(after).toEqual(before);

    // Controls, after all of the matrix (they change Bob's data): a transaction made a transfer
    // (which then has no category) and deletions last, the deepest first, so that no control finds
    // Bob's resource changed or removed by another control.
    const order = (c: BolaCase) =>
      c.method === 'DELETE' ? 1_000 - c.control.path.length : c.label.includes('to_account_id') ? 1 : 0;
    const controls = [...cases].sort((x, y) => order(x) - order(y));
    const seen = new Set<string>();
    for (const c of controls) {
      const key = `${c.method} ${c.control.path} ${JSON.stringify(c.control.body)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const answer = await send(c.method, c.control.path, c.control.body);
      if (answer.status === 404 || answer.status === 400 || answer.status >= 500)
        failures.push(
          `control of ${c.operation} [${c.label}] → ${answer.status}: ${answer.text.slice(0, 200)}`,
        );
    }
    expect(failures).toEqual([]);
    // What the matrix does not reach, for the record: operations that take no id at all.
    expect(withoutIds.length).toBeGreaterThan(0);
  }, 120_000);

  it('answers 404 or 405, never a success, to a method an id path does not document', async () => {
    const failures: string[] = [];
    const byPath = new Map<string, Set<string>>();
    for (const op of world.operations)
      if (pathParametersOf(op.path).length > 0 && !isAdminOperation(op))
        byPath.set(op.path, (byPath.get(op.path) ?? new Set()).add(op.method));
    for (const [template, documented] of byPath) {
      const hers = pathIdsOf(world.a, template);
      if (!hers) {
        failures.push(`${template}: no ids`);
        continue;
      }
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !documented.has(m))) {
        const answer = await send(method, renderPath(template, hers), {});
        if (answer.status !== 404 && answer.status !== 405)
          failures.push(`${method} ${template} → ${answer.status}: ${answer.text.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("answers a user 403 on every admin operation, whoever's id it names", async () => {
    const failures: string[] = [];
    const requests = validRequests(world.b);
    for (const op of world.operations.filter(isAdminOperation)) {
      const request = requests[op.key];
      const targets = [request.path, request.path.replace(world.bob.userId, world.alice.userId)];
      for (const path of targets) {
        const answer = await send(op.method, path, request.body);
        if (answer.status !== 403 || !answer.contentType.startsWith('application/problem+json'))
          failures.push(`${op.key} ${path} → ${answer.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  /**
   * Fields only the server sets. Each is sent, in turn, in a valid body of every operation whose
   * schema does not accept it (a schema may name one only to refuse it, `not: {}`).
   */
  const SERVER_OWNED = [
    'id',
    'user_id',
    'owner_id',
    'role',
    'is_admin',
    'is_active',
    'email_verified',
    'password_hash',
    'session_version',
    'current_amount',
    'balance',
    'current_balance',
    'spent',
    'progress',
    'created_at',
    'updated_at',
    'deleted_at',
    'version',
    'secret',
    'last_login_at',
  ];

  /** A value of the shape the field would have, were it accepted. */
  const ownedValue = (field: string): unknown =>
    field.endsWith('_at')
      ? '2020-01-01T00:00:00Z'
      : field === 'role'
        ? 'admin'
        : field.startsWith('is_') || field === 'email_verified'
          ? true
          : field.endsWith('id')
            ? world.bob.userId
            : '999999';

  it('refuses every server-owned field in every body with 400 naming it, and stores nothing', async () => {
    const mine = validRequests(world.a);
    const his = validRequests(world.b);
    const failures: string[] = [];
    const controls: Array<{
      op: string;
      method: string;
      path: string;
      body: Record<string, unknown>;
      token?: string;
    }> = [];
    const before = await stableSnapshot(world.api, world.a);
    const sends: Array<() => Promise<void>> = [];
    // JSON object bodies: a file upload's body (the ECB's CSV) has no fields to smuggle.
    for (const op of world.operations.filter((o) => o.body?.type === 'object')) {
      const request = mine[op.key];
      const properties = op.body?.properties ?? {};
      const token = isOpenOperation(op)
        ? undefined
        : isAdminOperation(op)
          ? world.admin.token
          : world.alice.token;
      const fields = SERVER_OWNED.filter(
        (field) => !(field in properties) || properties[field].not !== undefined,
      );
      for (const field of fields)
        sends.push(async () => {
          const answer = await rawRequest(op.method, world.api, request.path, {
            token,
            body: JSON.stringify({ ...request.body, [field]: ownedValue(field) }),
          });
          const named = (
            (answer.json as { errors?: Array<{ field: string }> } | undefined)?.errors ?? []
          ).map((e) => e.field);
          if (answer.status !== 400 || !named.includes(`body.${field}`))
            failures.push(`${op.key} body.${field} → ${answer.status} naming ${JSON.stringify(named)}`);
        });
      controls.push({
        op: op.key,
        method: op.method,
        path: isAdminOperation(op) ? request.path : his[op.key].path,
        body: (isAdminOperation(op) ? request.body : his[op.key].body) ?? {},
        token: isOpenOperation(op) ? undefined : isAdminOperation(op) ? world.admin.token : world.bob.token,
      });
    }
    expect(sends.length).toBeGreaterThan(200);
    for (let i = 0; i < sends.length; i += 16)
      await Promise.all(sends.slice(i, i + 16).map((send) => send()));
    expect(failures).toEqual([]);
    expect(await stableSnapshot(world.api, world.a)).toEqual(before);
    // Nobody registered with a role of their choosing (or at all).
    const newcomer = validRequests(world.a)['POST /auth/register'].body as {
      username: string;
      password: string;
    };
    const login = await rawRequest('POST', world.api, '/auth/login', {
      body: JSON.stringify({ username: newcomer.username, password: newcomer.password }),
    });
    expect(login.status).toBe(401);

    // Controls: the same bodies without the field are not refused as bodies (Bob's side, so that
    // Alice's snapshot above stays the measure): each 400 above was about its field.
    for (const control of controls) {
      const answer = await rawRequest(control.method, world.api, control.path, {
        token: control.token,
        body: JSON.stringify(control.body),
      });
      if (answer.status === 400 || answer.status >= 500)
        failures.push(`control of ${control.op} → ${answer.status}: ${answer.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it('wrote no password, hash, token or webhook secret to any log line of the run', () => {
    expect(world.logLines.length).toBeGreaterThan(100);
    expect(secretsInLogs(world.logLines, knownSecrets(world))).toEqual([]);
  });
});
