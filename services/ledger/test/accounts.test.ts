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
    const before = await h.outboxCount();
    expect((await h.call('GET', `/accounts/${mine.id}`, bob)).status).toBe(404);
    expect(
      (await h.call('PUT', `/accounts/${mine.id}`, bob, { body: { name: 'x', type: 'cash' } })).status,
    ).toBe(404);
    expect((await h.call('DELETE', `/accounts/${mine.id}`, bob)).status).toBe(404);
    expect((await h.call('GET', '/accounts', bob)).body.data.map((a: { id: string }) => a.id)).not.toContain(
      mine.id,
    );
    expect(await h.outboxCount()).toBe(before);
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
