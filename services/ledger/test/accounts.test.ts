import { LedgerHarness, fieldsOf, type TestUser } from './support';

describe('accounts', () => {
  let h: LedgerHarness;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    h = await LedgerHarness.start('accounts');
    alice = await h.user({ baseCurrency: 'EUR' });
    bob = await h.user();
  });
  afterAll(() => h?.stop());

  it('creates, reads, lists, replaces and deletes an account, with events for each change', async () => {
    const created = await h.call('POST', '/accounts', alice, {
      body: { name: 'Savings', type: 'savings', opening_balance: '100.5' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Savings',
      type: 'savings',
      currency: 'EUR', // the base currency by default
      opening_balance: '100.50',
      balance: '100.50',
      archived: false,
      version: 1,
    });
    expect(created.headers.get('etag')).toBe('"1"');
    const id = created.body.id;

    const got = await h.call('GET', `/accounts/${id}`, alice);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const list = await h.call('GET', '/accounts', alice);
    expect(list.body.data.map((a: { id: string }) => a.id)).toContain(id);

    const replaced = await h.call('PUT', `/accounts/${id}`, alice, {
      body: { name: 'Rainy day', type: 'savings', currency: 'EUR', opening_balance: -20, archived: true },
      headers: { 'if-match': '"1"' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      name: 'Rainy day',
      opening_balance: '-20.00',
      archived: true,
      version: 2,
    });
    expect(replaced.headers.get('etag')).toBe('"2"');

    const stale = await h.call('PUT', `/accounts/${id}`, alice, {
      body: { name: 'Late', type: 'cash' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');

    expect((await h.call('DELETE', `/accounts/${id}`, alice)).status).toBe(204);
    expect((await h.call('GET', `/accounts/${id}`, alice)).status).toBe(404);

    const events = await h.outbox({ aggregateId: id });
    expect(events.map((e) => [e.type, e.aggregateVersion])).toEqual([
      ['ledger.account.created', 1],
      ['ledger.account.updated', 2],
      ['ledger.account.deleted', 3],
    ]);
    expect(events[1].payload).toEqual({
      name: 'Rainy day',
      type: 'savings',
      currency: 'EUR',
      openingBalance: '-20.00',
      archived: true,
    });
  });

  it('keeps an exact balance: opening + income − expense − transfers out + transfers in', async () => {
    const user = await h.user();
    const a = (
      await h.call('POST', '/accounts', user, {
        body: { name: 'A', type: 'checking', opening_balance: '10.10' },
      })
    ).body;
    const b = (await h.call('POST', '/accounts', user, { body: { name: 'B', type: 'cash' } })).body;
    const post = (body: object) =>
      h.call('POST', '/transactions', user, { body: { date: '2024-01-01', ...body } });
    expect((await post({ account_id: a.id, amount: '0.1', transaction_type: 'income' })).status).toBe(201);
    expect((await post({ account_id: a.id, amount: '0.2', transaction_type: 'income' })).status).toBe(201);
    expect((await post({ account_id: a.id, amount: '5.05', transaction_type: 'expense' })).status).toBe(201);
    expect(
      (await post({ account_id: a.id, to_account_id: b.id, amount: '1.15', transaction_type: 'transfer' }))
        .status,
    ).toBe(201);
    expect((await h.call('GET', `/accounts/${a.id}`, user)).body.balance).toBe('4.20');
    expect((await h.call('GET', `/accounts/${b.id}`, user)).body.balance).toBe('1.15');

    const del = await h.call('DELETE', `/accounts/${b.id}`, user);
    expect(del.status).toBe(409);
    expect(del.body.detail).toMatch(/archive it instead/);
    const currency = await h.call('PUT', `/accounts/${a.id}`, user, {
      body: { name: 'A', type: 'checking', currency: 'GBP' },
    });
    expect(currency.status).toBe(409);
    expect(fieldsOf(currency.body)).toEqual(['body.currency']);
  });

  it('archives as the 409 advises (PATCH {"archived": true}) and keeps the money history exact', async () => {
    const user = await h.user();
    const account = (
      await h.call('POST', '/accounts', user, {
        body: { name: 'Everyday', type: 'checking', opening_balance: '1000.00' },
      })
    ).body;
    const spent = await h.call('POST', '/transactions', user, {
      body: { account_id: account.id, amount: '50', transaction_type: 'expense', date: '2024-04-01' },
    });
    expect(spent.status).toBe(201);
    expect((await h.call('GET', `/accounts/${account.id}`, user)).body.balance).toBe('950.00');

    const refused = await h.call('DELETE', `/accounts/${account.id}`, user);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain(`PATCH /accounts/${account.id}`);
    expect(refused.body.detail).toContain('{"archived": true}');

    const archived = await h.call('PATCH', `/accounts/${account.id}`, user, {
      body: { archived: true },
      headers: { 'if-match': '"1"' },
    });
    expect(archived.status).toBe(200);
    expect(archived.headers.get('etag')).toBe('"2"');
    expect(archived.body).toMatchObject({
      archived: true,
      opening_balance: '1000.00',
      balance: '950.00',
      name: 'Everyday',
      type: 'checking',
      currency: 'USD',
      version: 2,
    });
    const [, updated] = await h.outbox({ aggregateId: account.id });
    expect(updated).toMatchObject({
      type: 'ledger.account.updated',
      aggregateVersion: 2,
      payload: { openingBalance: '1000.00', archived: true },
    });

    // A PUT that leaves opening_balance out keeps it (as it keeps the currency): omitting is not 0.
    const renamed = await h.call('PUT', `/accounts/${account.id}`, user, {
      body: { name: 'Old everyday', type: 'checking', archived: true },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ opening_balance: '1000.00', balance: '950.00', version: 3 });
    // Changing it is possible, but only by saying so.
    const restated = await h.call('PUT', `/accounts/${account.id}`, user, {
      body: { name: 'Old everyday', type: 'checking', opening_balance: '900', archived: true },
    });
    expect(restated.body).toMatchObject({ opening_balance: '900.00', balance: '850.00' });
  });

  it('PATCH is a JSON merge with If-Match and the validation of PUT', async () => {
    const user = await h.user();
    const a = (
      await h.call('POST', '/accounts', user, {
        body: { name: 'Wallet', type: 'cash', opening_balance: '5.5' },
      })
    ).body;
    const renamed = await h.call('PATCH', `/accounts/${a.id}`, user, { body: { name: 'Pocket' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Pocket', type: 'cash', opening_balance: '5.50', version: 2 });

    const stale = await h.call('PATCH', `/accounts/${a.id}`, user, {
      body: { name: 'Late' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    const nothing = await h.call('PATCH', `/accounts/${a.id}`, user, { body: {} });
    expect(nothing.status).toBe(200);
    expect(nothing.body.version).toBe(2); // nothing to change: no new version, no event

    const cases: Array<[object, string, number]> = [
      [{ name: null }, 'body.name', 400],
      [{ name: '' }, 'body.name', 400],
      [{ type: 'piggy-bank' }, 'body.type', 400],
      [{ archived: 'yes' }, 'body.archived', 400],
      [{ opening_balance: '1.001' }, 'body.opening_balance', 400],
      [{ currency: 'JPY', opening_balance: '1.5' }, 'body.opening_balance', 400],
      [{ currency: 'JPY' }, 'body.opening_balance', 400], // 5.50 has decimals JPY does not have
      [{ owner: 'me' }, 'body.owner', 400],
    ];
    for (const [body, field, status] of cases) {
      const res = await h.call('PATCH', `/accounts/${a.id}`, user, { body });
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(fieldsOf(res.body)).toContain(field);
    }
    const yen = await h.call('PATCH', `/accounts/${a.id}`, user, {
      body: { currency: 'JPY', opening_balance: '500' },
    });
    expect(yen.body).toMatchObject({ currency: 'JPY', opening_balance: '500', version: 3 });

    await h.call('POST', '/accounts', user, { body: { name: 'Other', type: 'cash' } });
    const spending = (await h.call('POST', '/accounts', user, { body: { name: 'Spending', type: 'cash' } }))
      .body;
    await h.call('POST', '/transactions', user, {
      body: { account_id: spending.id, amount: '1', transaction_type: 'expense' },
    });
    const currency = await h.call('PATCH', `/accounts/${spending.id}`, user, { body: { currency: 'EUR' } });
    expect(currency.status).toBe(409);
    expect(fieldsOf(currency.body)).toEqual(['body.currency']);

    expect((await h.call('PATCH', `/accounts/${a.id}`, bob, { body: { archived: true } })).status).toBe(404);
    expect((await h.call('GET', `/accounts/${a.id}`, user)).body).toMatchObject({
      version: 3,
      archived: false,
    });
    expect((await h.outbox({ aggregateId: a.id })).map((e) => e.aggregateVersion)).toEqual([1, 2, 3]);
  });

  it('rejects bad input with 400 problems naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{ name: '', type: 'checking' }, 'body.name'],
      [{ name: 'x', type: 'piggy-bank' }, 'body.type'],
      [{ name: 'x', type: 'cash', currency: 'XXQ' }, 'body.currency'],
      [{ name: 'x', type: 'cash', currency: 'JPY', opening_balance: '1.5' }, 'body.opening_balance'],
      [{ name: 'x', type: 'cash', opening_balance: 'ten' }, 'body.opening_balance'],
      [{ name: 'x', type: 'cash', owner: 'me' }, 'body.owner'],
    ];
    for (const [body, field] of cases) {
      const res = await h.call('POST', '/accounts', alice, { body });
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toContain(field);
    }
    expect((await h.call('GET', '/accounts/not-a-uuid', alice)).status).toBe(400);
    expect((await h.call('GET', '/accounts', undefined)).status).toBe(401);
  });

  it("answers 404 for another user's account on every endpoint", async () => {
    const mine = (await h.call('POST', '/accounts', alice, { body: { name: 'Mine', type: 'cash' } })).body;
    const before = await h.outboxCount(alice.id, bob.id);
    expect((await h.call('GET', `/accounts/${mine.id}`, bob)).status).toBe(404);
    expect(
      (await h.call('PUT', `/accounts/${mine.id}`, bob, { body: { name: 'x', type: 'cash' } })).status,
    ).toBe(404);
    expect((await h.call('DELETE', `/accounts/${mine.id}`, bob)).status).toBe(404);
    expect((await h.call('GET', '/accounts', bob)).body.data.map((a: { id: string }) => a.id)).not.toContain(
      mine.id,
    );
    expect(await h.outboxCount(alice.id, bob.id)).toBe(before);
    expect((await h.call('GET', `/accounts/${mine.id}`, alice)).body.name).toBe('Mine');
  });

  it('pages through accounts with a cursor', async () => {
    const user = await h.user();
    for (let i = 0; i < 5; i++)
      await h.call('POST', '/accounts', user, { body: { name: `Acc ${i}`, type: 'cash' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await h.call('GET', `/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`, user);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((a: { name: string }) => a.name));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['Acc 0', 'Acc 1', 'Acc 2', 'Acc 3', 'Acc 4']);
  });
});
