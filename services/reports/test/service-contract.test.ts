import { randomUUID } from 'node:crypto';
import { newId } from '@finance/shared';
import { TestTokenIssuer, httpJson, lookupsParkedOn, waitFor } from '@finance/shared/testing';
import {
  account,
  apply,
  category,
  event,
  profile,
  startReports,
  transaction,
  type ReportsService,
} from './support';

/**
 * What every service on the shared contract guarantees, as reports keeps it: tokens auth revoked
 * are refused, a deleted user leaves nothing behind, and an id the ledger created a moment ago is
 * found (not a 404) while an old or foreign one is a 404 at once.
 */
describe('reports on the service contract', () => {
  const issuer = new TestTokenIssuer();
  /** Long, so that on a loaded machine too the event below lands well inside the wait. */
  const READ_YOUR_WRITES_WAIT_MS = 20_000;
  let service: ReportsService;

  beforeAll(async () => {
    await issuer.start();
    service = await startReports('reports_contract', {
      issuer,
      clock: () => new Date('2026-02-15T12:00:00Z'),
      browser: false,
      env: { READ_YOUR_WRITES_WAIT_MS: String(READ_YOUR_WRITES_WAIT_MS) },
    });
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    await issuer.stop();
  });

  const get = (path: string, token: string) => httpJson('GET', `${service.url}${path}`, { token });
  /** One route of each router. */
  const routes = ['/analytics/spending', '/export/csv', '/reports'];

  it('refuses a token auth revoked (auth.user.updated raised the session version) with 401', async () => {
    const userId = randomUUID();
    await apply(service, event('auth.user.registered', userId, userId, 1, profile('EUR', 'Europe/Paris', 0)));
    const old = issuer.token(userId, { sessionVersion: 0 });
    for (const path of routes) expect((await get(path, old)).status).toBe(200);

    // A password change, say: auth raises the session version.
    await apply(service, event('auth.user.updated', userId, userId, 2, profile('EUR', 'Europe/Paris', 1)));
    for (const path of routes)
      await waitFor(async () => (await get(path, old)).status === 401, { description: `401 on ${path}` });
    const res = await get('/analytics/spending', old);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    // A token issued after the change works.
    expect((await get('/analytics/spending', issuer.token(userId, { sessionVersion: 1 }))).status).toBe(200);
  });

  it('refuses a deleted user’s token with 401, and stores nothing of theirs afterwards', async () => {
    const userId = randomUUID();
    const wallet = randomUUID();
    const food = randomUUID();
    await apply(
      service,
      event('auth.user.registered', userId, userId, 1, profile('EUR', 'Europe/Paris')),
      event('ledger.account.created', userId, wallet, 1, account('Wallet', 'EUR', '0')),
      event('ledger.category.created', userId, food, 1, category('Food', '#2E7D32')),
      event(
        'ledger.transaction.created',
        userId,
        randomUUID(),
        1,
        transaction({ accountId: wallet, currency: 'EUR', amount: '9.99', date: '2026-02-03' }),
      ),
    );
    const token = issuer.token(userId);
    expect((await get('/analytics/spending', token)).body.total).toBe('9.99');

    await apply(service, event('auth.user.deleted', userId, userId, 2, {}));
    for (const path of [...routes, '/export/pdf'])
      await waitFor(async () => (await get(path, token)).status === 401, { description: `401 on ${path}` });

    // Events of the user still on their way (a write that raced the deletion) are skipped.
    const late = [
      event('ledger.account.created', userId, randomUUID(), 1, account('Late', 'EUR', '0')),
      event('ledger.category.created', userId, randomUUID(), 1, category('Late', '#000000')),
      event(
        'ledger.transaction.created',
        userId,
        randomUUID(),
        1,
        transaction({ accountId: wallet, currency: 'EUR', amount: '1.00', date: '2026-02-04' }),
      ),
      event('auth.user.updated', userId, userId, 3, profile('EUR', 'Europe/Paris')),
    ];
    for (const e of late) expect(await service.consumer.apply(e)).toBe(false);
    for (const table of [
      'report_transactions',
      'report_accounts',
      'report_categories',
      'daily_rollups',
      'daily_account_rollups',
      'monthly_reports',
    ]) {
      const [{ count }] = (await service.dataSource.query(
        `SELECT count(*)::int AS count FROM ${table} WHERE user_id = $1`,
        [userId],
      )) as Array<{ count: number }>;
      expect({ table, count }).toEqual({ table, count: 0 });
    }
    expect(
      await service.dataSource.query(
        `SELECT base_currency, deleted_at IS NOT NULL AS deleted FROM user_directory WHERE user_id = $1`,
        [userId],
      ),
    ).toEqual([{ base_currency: null, deleted: true }]);
  });

  describe('read-your-writes: ids in filters', () => {
    const me = randomUUID();
    const stranger = randomUUID();
    const token = () => issuer.token(me);

    beforeAll(async () => {
      await apply(
        service,
        event('auth.user.registered', me, me, 1, profile('EUR', 'Europe/Paris')),
        event('auth.user.registered', stranger, stranger, 1, profile('EUR', 'Europe/Paris')),
      );
    });

    const created = (kind: 'account' | 'category', userId: string, id: string) =>
      kind === 'account'
        ? event('ledger.account.created', userId, id, 1, account('Fresh', 'EUR', '0'))
        : event('ledger.category.created', userId, id, 1, category('Fresh', '#2E7D32'));

    const filters = [
      ['/analytics/spending?account_id=', 'account'],
      ['/analytics/spending?category_id=', 'category'],
      ['/analytics/cashflow?account_id=', 'account'],
      ['/export/csv?account_id=', 'account'],
      ['/export/csv?category_id=', 'category'],
    ] as const;

    it.each(filters)(
      '%s<an id the ledger created a moment ago, its event late> → 200, not 404',
      async (prefix, kind) => {
        const id = newId();
        let answered = false;
        const parked = lookupsParkedOn(service.consumer);
        const pending = get(`${prefix}${id}`, token()).finally(() => {
          answered = true;
        });
        // The ledger's event reaches reports after the client's request did: once it waits.
        await parked();
        expect(answered).toBe(false); // still waiting for the event, not a 404 already
        await apply(service, created(kind, me, id));
        const res = await pending;
        expect(res.status).toBe(200);
      },
    );

    it.each(filters)(
      '%s<an old unknown id, or another user’s fresh one> → 404 at once',
      async (prefix, kind) => {
        // A UUIDv7 made an hour ago: its event would long be here.
        const hourAgo = (Date.now() - 3_600_000).toString(16).padStart(12, '0');
        const fresh = newId();
        const old = `${hourAgo.slice(0, 8)}-${hourAgo.slice(8)}${fresh.slice(13)}`;
        const foreign = newId();
        await apply(service, created(kind, stranger, foreign));
        for (const id of [randomUUID(), old, foreign]) {
          const started = Date.now();
          const res = await get(`${prefix}${id}`, token());
          expect(res.status).toBe(404);
          expect(res.body.errors).toEqual([{ field: `query.${kind}_id`, message: expect.any(String) }]);
          // Not after sitting out the read-your-writes wait.
          expect(Date.now() - started).toBeLessThan(READ_YOUR_WRITES_WAIT_MS / 2);
        }
      },
    );

    it('a user who registered a moment ago is answered in their own currency, not the fallback', async () => {
      const newcomer = newId();
      const parked = lookupsParkedOn(service.consumer);
      const pending = get('/analytics/spending?from=2026-02-01&to=2026-02-28', issuer.token(newcomer));
      await parked();
      await apply(
        service,
        event('auth.user.registered', newcomer, newcomer, 1, profile('JPY', 'Asia/Tokyo')),
      );
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ currency: 'JPY', total: '0' });
    });
  });
});
