import { randomUUID } from 'node:crypto';
import { newId } from '@finance/shared';
import { waitFor } from '@finance/shared/testing';
import { LedgerHarness, authEvent, oldV7Id, userEvent, type TestUser } from './support';

/** Longer than any request here should take, so a wait that should not happen could not hide. */
const READ_YOUR_WRITES_WAIT_MS = 20_000;

describe('the user directory: revoked tokens, deleted users, users registered a moment ago', () => {
  let h: LedgerHarness;
  beforeAll(async () => {
    h = await LedgerHarness.start('users', {
      env: { READ_YOUR_WRITES_WAIT_MS: String(READ_YOUR_WRITES_WAIT_MS) },
    });
  });
  afterAll(() => h?.stop());

  /** One write of each kind the ledger takes; `i` keeps category names apart. */
  const writes = (user: TestUser, i = 0) => [
    h.call('POST', '/accounts', user, { body: { name: `A ${i}`, type: 'cash' } }),
    h.call('POST', '/categories', user, { body: { name: `C ${i}`, color: '#000000' } }),
    h.call('POST', '/transactions', user, {
      body: { amount: '1', transaction_type: 'expense' },
      headers: { 'Idempotency-Key': `k${i}` },
    }),
  ];
  const nothingStored = { accounts: 0, categories: 0, transactions: 0, idempotency_keys: 0 };

  it('refuses a token auth revoked (auth.user.updated raised the session version) with 401, and stores nothing for it', async () => {
    const id = newId();
    expect(await h.apply(userEvent('auth.user.registered', id, 1, { sessionVersion: 1 }))).toBe(true);
    const old = { id, token: h.issuer.token(id, { sessionVersion: 1 }) };
    expect((await h.call('GET', '/accounts', old)).status).toBe(200);
    const categoriesBefore = (await h.rowsOf(id)).categories; // the default ones

    // Logout-all (or a password change) in auth: the session version goes up.
    expect(await h.apply(userEvent('auth.user.updated', id, 2, { sessionVersion: 2 }))).toBe(true);
    await waitFor(async () => (await h.call('GET', '/accounts', old)).status === 401, {
      description: 'the old token refused',
    });
    for (const res of await Promise.all(writes(old))) expect(res.status).toBe(401);
    expect(await h.rowsOf(id)).toEqual({ ...nothingStored, categories: categoriesBefore });

    const renewed = { id, token: h.issuer.token(id, { sessionVersion: 2 }) };
    expect((await h.call('GET', '/accounts', renewed)).status).toBe(200);
  });

  it("refuses a deleted user's token with 401 and stores nothing for it, on every write", async () => {
    const user = await h.user();
    expect((await h.call('GET', '/accounts', user)).status).toBe(200); // the service has seen this user
    expect(await h.apply(authEvent('auth.user.deleted', user.id, 2, {}))).toBe(true);
    // At once: whether the token check still trusts what it read a moment ago (it keeps it a
    // second) or reads the tombstone, the write is refused (by the write's own lock of the user).
    const answers = await Promise.all(writes(user));
    expect(answers.map((res) => res.status)).toEqual([401, 401, 401]);
    for (const res of answers) expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await h.rowsOf(user.id)).toEqual(nothingStored);
    await waitFor(async () => (await h.call('GET', '/accounts', user)).status === 401, {
      description: 'reads refused too',
    });
    expect(await h.rowsOf(user.id)).toEqual(nothingStored);
  });

  it('leaves nothing of a user whose writes race their deletion: each write is refused, or committed and purged', async () => {
    const user = await h.user();
    const account = (await h.call('POST', '/accounts', user, { body: { name: 'Main', type: 'cash' } })).body;
    const racing = Array.from({ length: 4 }, (_, i) => writes(user, i)).flat();
    racing.push(
      h.call('POST', '/transactions', user, {
        body: { account_id: account.id, amount: '2', transaction_type: 'income' },
      }),
      h.call('PATCH', `/accounts/${account.id}`, user, { body: { name: 'Renamed' } }),
    );
    const [answers] = await Promise.all([
      Promise.all(racing),
      h.apply(authEvent('auth.user.deleted', user.id, 2, {})),
    ]);
    for (const res of answers) expect([200, 201, 401]).toContain(res.status);
    expect(await h.rowsOf(user.id)).toEqual(nothingStored);
    // And whatever comes after the deletion.
    for (const res of await Promise.all(writes(user, 9))) expect(res.status).toBe(401);
    expect(await h.rowsOf(user.id)).toEqual(nothingStored);
  });

  it('refuses a deactivated user with 401 and stores nothing', async () => {
    const user = await h.user();
    expect(await h.apply(userEvent('auth.user.updated', user.id, 2, { isActive: false }))).toBe(true);
    for (const res of await Promise.all(writes(user))) expect(res.status).toBe(401);
    const defaults = (await h.rowsOf(user.id)).categories;
    expect(await h.rowsOf(user.id)).toEqual({ ...nothingStored, categories: defaults });
  });

  it('gives a user who registered a moment ago their own base currency on their first transaction and account, though the registration arrives after the request', async () => {
    for (const first of ['transaction', 'account'] as const) {
      const id = newId(); // auth's id of a user who registered just now
      const user = { id, token: h.issuer.token(id) };
      const request =
        first === 'transaction'
          ? h.call('POST', '/transactions', user, {
              body: { amount: '1500', transaction_type: 'expense', date: '2025-01-01' },
            })
          : h.call('POST', '/accounts', user, { body: { name: 'Yen', type: 'cash' } });
      // auth.user.registered reaches the ledger ~200 ms after the request did.
      const registration = new Promise<boolean>((resolve, reject) =>
        setTimeout(
          () =>
            h.apply(userEvent('auth.user.registered', id, 1, { baseCurrency: 'JPY' })).then(resolve, reject),
          200,
        ),
      );
      const [res, applied] = await Promise.all([request, registration]);
      expect(applied).toBe(true);
      expect({ first, status: res.status }).toEqual({ first, status: 201 });
      expect(res.body.currency).toBe('JPY');
      if (first === 'transaction') {
        expect(res.body).toMatchObject({ amount: '1500', base_currency: 'JPY' });
        const [account] = (await h.call('GET', '/accounts', user)).body.data;
        expect(account).toMatchObject({ name: 'Main account', currency: 'JPY' });
      }
    }
  });

  it('answers at once, with the shared fallback (USD, UTC), for a user auth told nothing of and who is not new', async () => {
    for (const id of [oldV7Id(60 * 60 * 1000), randomUUID()]) {
      const user = { id, token: h.issuer.token(id) };
      const started = Date.now();
      const tx = await h.call('POST', '/transactions', user, {
        body: { amount: '1.50', transaction_type: 'expense', date: '2025-01-01' },
      });
      const account = await h.call('POST', '/accounts', user, { body: { name: 'Mine', type: 'cash' } });
      // Not after waiting for a registration that is not coming (that would take READ_YOUR_WRITES_WAIT_MS).
      expect(Date.now() - started).toBeLessThan(READ_YOUR_WRITES_WAIT_MS / 2);
      expect(tx.status).toBe(201);
      expect(tx.body).toMatchObject({ currency: 'USD', base_currency: 'USD' });
      expect(account.body.currency).toBe('USD');
    }
  });

  it('serves the first writes of a user auth told nothing of, all at once: each recorded, one default account', async () => {
    const user = await h.user({ registered: false });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        h.call('POST', '/transactions', user, {
          body: { amount: '1', transaction_type: 'expense', description: `First ${i}` },
        }),
      ),
    );
    expect(answers.map((res) => res.status)).toEqual(Array(6).fill(201));
    const accounts = (await h.call('GET', '/accounts', user)).body.data;
    expect(accounts.map((a: { name: string; balance: string }) => [a.name, a.balance])).toEqual([
      ['Main account', '-6.00'],
    ]);
    expect((await h.rowsOf(user.id)).transactions).toBe(6);
  });

  it('does not wait for the user when nothing of theirs is needed: an account in a stated currency, a category', async () => {
    const id = newId();
    const user = { id, token: h.issuer.token(id) };
    const started = Date.now();
    const account = await h.call('POST', '/accounts', user, {
      body: { name: 'Euro', type: 'cash', currency: 'EUR' },
    });
    const category = await h.call('POST', '/categories', user, { body: { name: 'Mine', color: '#000000' } });
    expect(Date.now() - started).toBeLessThan(READ_YOUR_WRITES_WAIT_MS / 2);
    expect([account.status, category.status]).toEqual([201, 201]);
    expect(account.body.currency).toBe('EUR');
  });
});
