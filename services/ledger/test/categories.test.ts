import { DEFAULT_CATEGORIES } from '../src/domain/categories';
import { LedgerHarness, fieldsOf, type TestUser } from './support';

describe('categories', () => {
  let h: LedgerHarness;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    h = await LedgerHarness.start('categories');
    alice = await h.user();
    bob = await h.user();
  });
  afterAll(() => h?.stop());

  const create = (user: TestUser, body: object) => h.call('POST', '/categories', user, { body });

  it('gives a registered user the default set', async () => {
    const list = await h.call('GET', '/categories?limit=200', alice);
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { name: string }) => c.name).sort()).toEqual(
      DEFAULT_CATEGORIES.map((c) => c.name).sort(),
    );
    const groceries = list.body.data.find((c: { name: string }) => c.name === 'Groceries');
    expect(groceries).toMatchObject({ color: '#4CAF50', kind: 'expense', parent_id: null, version: 1 });
    expect(await h.outbox({ type: 'ledger.category.created', userId: alice.id })).toHaveLength(
      DEFAULT_CATEGORIES.length,
    );
  });

  it('creates, reads, replaces categories; names are unique per user, case-insensitive', async () => {
    const made = await create(alice, { name: 'Pets', color: '#a1b2c3', icon: 'paw', kind: 'expense' });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      name: 'Pets',
      color: '#A1B2C3',
      icon: 'paw',
      kind: 'expense',
      parent_id: null,
    });
    expect(made.headers.get('etag')).toBe('"1"');

    const dup = await create(alice, { name: 'pets', color: '#000000' });
    expect(dup.status).toBe(409);
    expect(fieldsOf(dup.body)).toEqual(['body.name']);
    expect((await create(bob, { name: 'Pets', color: '#000000' })).status).toBe(201); // another user may

    const got = await h.call('GET', `/categories/${made.body.id}`, alice);
    expect(got.body).toEqual(made.body);

    const put = await h.call('PUT', `/categories/${made.body.id}`, alice, {
      body: { name: 'Pet care', color: '#000000' },
      headers: { 'If-Match': '"1"' },
    });
    expect(put.status).toBe(200);
    // PUT replaces everything: icon reset, kind back to its default
    expect(put.body).toMatchObject({ name: 'Pet care', icon: null, kind: 'both', version: 2 });
    const stale = await h.call('PUT', `/categories/${made.body.id}`, alice, {
      body: { name: 'Again', color: '#000000' },
      headers: { 'If-Match': '"1"' },
    });
    expect(stale.status).toBe(412);
    const clash = await h.call('PUT', `/categories/${made.body.id}`, alice, {
      body: { name: 'GROCERIES', color: '#000000' },
    });
    expect(clash.status).toBe(409);
    expect(fieldsOf(clash.body)).toEqual(['body.name']);

    const events = await h.outbox({ aggregateId: made.body.id });
    expect(events.map((e) => [e.type, e.aggregateVersion])).toEqual([
      ['ledger.category.created', 1],
      ['ledger.category.updated', 2],
    ]);
    expect(events[1].payload).toEqual({
      name: 'Pet care',
      color: '#000000',
      icon: null,
      kind: 'both',
      parentId: null,
    });
  });

  it('allows one level of sub-categories only', async () => {
    const parent = (await create(alice, { name: 'Car', color: '#111111', kind: 'expense' })).body;
    const child = await create(alice, {
      name: 'Fuel',
      color: '#222222',
      kind: 'expense',
      parent_id: parent.id,
    });
    expect(child.status).toBe(201);
    expect(child.body.parent_id).toBe(parent.id);
    const grandchild = await create(alice, { name: 'Diesel', color: '#333333', parent_id: child.body.id });
    expect(grandchild.status).toBe(422);
    expect(fieldsOf(grandchild.body)).toEqual(['body.parent_id']);
    const other = (await create(alice, { name: 'Vehicles', color: '#444444' })).body;
    const parentUnder = await h.call('PUT', `/categories/${parent.id}`, alice, {
      body: { name: 'Car', color: '#111111', kind: 'expense', parent_id: other.id },
    });
    expect(parentUnder.status).toBe(422);
    const self = await h.call('PUT', `/categories/${other.id}`, alice, {
      body: { name: 'Vehicles', color: '#444444', parent_id: other.id },
    });
    expect(self.status).toBe(422);
  });

  it('rejects bad input naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{ name: '', color: '#000000' }, 'body.name'],
      [{ name: 'x', color: 'red' }, 'body.color'],
      [{ name: 'x', color: '#12345' }, 'body.color'],
      [{ name: 'x', color: '#123456', kind: 'savings' }, 'body.kind'],
      [{ name: 'x', color: '#123456', parent_id: 'nope' }, 'body.parent_id'],
      [{ name: 'x', color: '#123456', budget: 5 }, 'body.budget'],
    ];
    for (const [body, field] of cases) {
      const res = await create(alice, body);
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toContain(field);
    }
  });

  it('refuses a kind change that no longer fits the filed transactions', async () => {
    const user = await h.user();
    const c = (await create(user, { name: 'Side gig', color: '#123456', kind: 'both' })).body;
    await h.call('POST', '/transactions', user, {
      body: { amount: 5, transaction_type: 'income', category_id: c.id },
    });
    const res = await h.call('PUT', `/categories/${c.id}`, user, {
      body: { name: 'Side gig', color: '#123456', kind: 'expense' },
    });
    expect(res.status).toBe(409);
    expect(fieldsOf(res.body)).toEqual(['body.kind']);
  });

  it('PATCH is a JSON merge with If-Match and the validation of PUT', async () => {
    const user = await h.user();
    const parent = (await create(user, { name: 'Home', color: '#101010', kind: 'expense' })).body;
    const c = (
      await create(user, {
        name: 'Garden',
        color: '#202020',
        icon: 'leaf',
        kind: 'expense',
        parent_id: parent.id,
      })
    ).body;
    const recoloured = await h.call('PATCH', `/categories/${c.id}`, user, {
      body: { color: '#abcdef' },
      headers: { 'if-match': '"1"' },
    });
    expect(recoloured.status).toBe(200);
    expect(recoloured.headers.get('etag')).toBe('"2"');
    // Only the colour changed: icon, kind and parent stay (a PUT would have reset them).
    expect(recoloured.body).toMatchObject({
      name: 'Garden',
      color: '#ABCDEF',
      icon: 'leaf',
      kind: 'expense',
      parent_id: parent.id,
      version: 2,
    });
    const cleared = await h.call('PATCH', `/categories/${c.id}`, user, {
      body: { icon: null, parent_id: null },
    });
    expect(cleared.body).toMatchObject({ icon: null, parent_id: null, kind: 'expense', version: 3 });
    const stale = await h.call('PATCH', `/categories/${c.id}`, user, {
      body: { name: 'Late' },
      headers: { 'if-match': '"2"' },
    });
    expect(stale.status).toBe(412);
    expect((await h.call('PATCH', `/categories/${c.id}`, user, { body: {} })).body.version).toBe(3);

    const cases: Array<[object, string, number]> = [
      [{ name: null }, 'body.name', 400],
      [{ color: null }, 'body.color', 400],
      [{ color: 'red' }, 'body.color', 400],
      [{ kind: 'savings' }, 'body.kind', 400],
      [{ parent_id: 'nope' }, 'body.parent_id', 400],
      [{ budget: 5 }, 'body.budget', 400],
      [{ name: 'home' }, 'body.name', 409],
      [{ parent_id: c.id }, 'body.parent_id', 422],
    ];
    for (const [body, field, status] of cases) {
      const res = await h.call('PATCH', `/categories/${c.id}`, user, { body });
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(fieldsOf(res.body)).toContain(field);
    }
    await h.call('POST', '/transactions', user, {
      body: { amount: 5, transaction_type: 'expense', category_id: c.id },
    });
    const unfit = await h.call('PATCH', `/categories/${c.id}`, user, { body: { kind: 'income' } });
    expect(unfit.status).toBe(409);
    expect(fieldsOf(unfit.body)).toEqual(['body.kind']);
    const foreignParent = await h.call('PATCH', `/categories/${c.id}`, user, {
      body: { parent_id: (await create(bob, { name: `B ${Math.random()}`, color: '#000000' })).body.id },
    });
    expect(foreignParent.status).toBe(404);
    expect((await h.call('PATCH', `/categories/${c.id}`, bob, { body: { name: 'Mine' } })).status).toBe(404);
    expect((await h.outbox({ aggregateId: c.id })).map((e) => [e.type, e.aggregateVersion])).toEqual([
      ['ledger.category.created', 1],
      ['ledger.category.updated', 2],
      ['ledger.category.updated', 3],
    ]);
  });

  describe('delete', () => {
    async function setup(user: TestUser) {
      const doomed = (
        await create(user, { name: `Doomed ${Math.random()}`, color: '#AA0000', kind: 'expense' })
      ).body;
      const child = (
        await create(user, { name: `Child ${Math.random()}`, color: '#AA0001', parent_id: doomed.id })
      ).body;
      const ids: string[] = [];
      for (const amount of ['1.00', '2.00']) {
        const t = await h.call('POST', '/transactions', user, {
          body: { amount, transaction_type: 'expense', category_id: doomed.id, date: '2024-03-01' },
        });
        expect(t.status).toBe(201);
        ids.push(t.body.id);
      }
      return { doomed, child, ids };
    }

    it('by default leaves its transactions uncategorised and makes its children top-level', async () => {
      const user = await h.user();
      const { doomed, child, ids } = await setup(user);
      const res = await h.call('DELETE', `/categories/${doomed.id}`, user);
      expect(res.status).toBe(204);
      expect((await h.call('GET', `/categories/${doomed.id}`, user)).status).toBe(404);
      for (const id of ids) {
        const t = (await h.call('GET', `/transactions/${id}`, user)).body;
        expect(t).toMatchObject({ category_id: null, version: 2 });
      }
      expect((await h.call('GET', `/categories/${child.id}`, user)).body).toMatchObject({
        parent_id: null,
        version: 2,
      });

      const [deleted] = await h.outbox({ type: 'ledger.category.deleted', aggregateId: doomed.id });
      expect(deleted).toMatchObject({
        aggregateVersion: 2,
        payload: { reassignedTo: null, name: doomed.name },
      });
      for (const id of ids) {
        const updates = await h.outbox({ type: 'ledger.transaction.updated', aggregateId: id });
        expect(updates.map((e) => [e.aggregateVersion, e.payload.categoryId])).toEqual([[2, null]]);
      }
      const childUpdates = await h.outbox({ type: 'ledger.category.updated', aggregateId: child.id });
      expect(childUpdates.map((e) => [e.aggregateVersion, e.payload.parentId])).toEqual([[2, null]]);
    });

    it('with reassign_to moves its transactions to that category', async () => {
      const user = await h.user();
      const { doomed, ids } = await setup(user);
      const target = (await create(user, { name: 'Target', color: '#00AA00', kind: 'both' })).body;
      const incomeOnly = (await create(user, { name: 'Income only', color: '#00AA01', kind: 'income' })).body;

      const self = await h.call('DELETE', `/categories/${doomed.id}?reassign_to=${doomed.id}`, user);
      expect(self.status).toBe(422);
      const unfit = await h.call('DELETE', `/categories/${doomed.id}?reassign_to=${incomeOnly.id}`, user);
      expect(unfit.status).toBe(422);
      expect(fieldsOf(unfit.body)).toEqual(['query.reassign_to']);
      const foreign = (await create(bob, { name: `Bob ${Math.random()}`, color: '#000000' })).body;
      const other = await h.call('DELETE', `/categories/${doomed.id}?reassign_to=${foreign.id}`, user);
      expect(other.status).toBe(404);
      expect((await h.call('DELETE', `/categories/${doomed.id}?reassign_to=bad`, user)).status).toBe(400);
      // nothing happened on refusal
      expect(await h.outbox({ type: 'ledger.category.deleted', aggregateId: doomed.id })).toEqual([]);

      const res = await h.call('DELETE', `/categories/${doomed.id}?reassign_to=${target.id}`, user);
      expect(res.status).toBe(204);
      const list = await h.call('GET', `/transactions?category_id=${target.id}`, user);
      expect(list.body.data.map((t: { id: string }) => t.id).sort()).toEqual([...ids].sort());
      const [deleted] = await h.outbox({ type: 'ledger.category.deleted', aggregateId: doomed.id });
      expect(deleted.payload.reassignedTo).toBe(target.id);
      for (const id of ids) {
        const [update] = await h.outbox({ type: 'ledger.transaction.updated', aggregateId: id });
        expect(update).toMatchObject({ aggregateVersion: 2, payload: { categoryId: target.id } });
      }
    });
  });

  it("answers 404 for another user's category on every endpoint", async () => {
    const mine = (await create(alice, { name: 'Private', color: '#000000' })).body;
    expect((await h.call('GET', `/categories/${mine.id}`, bob)).status).toBe(404);
    expect(
      (await h.call('PUT', `/categories/${mine.id}`, bob, { body: { name: 'x', color: '#000000' } })).status,
    ).toBe(404);
    expect((await h.call('DELETE', `/categories/${mine.id}`, bob)).status).toBe(404);
    const asParent = await create(bob, { name: 'Sneaky', color: '#000000', parent_id: mine.id });
    expect(asParent.status).toBe(404);
    expect(fieldsOf(asParent.body)).toEqual(['body.parent_id']);
    expect((await h.call('GET', `/categories/${mine.id}`, alice)).status).toBe(200);
  });

  it('pages by name', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await h.call('GET', `/categories?limit=3${cursor ? `&cursor=${cursor}` : ''}`, alice);
      names.push(...page.body.data.map((c: { name: string }) => c.name));
      cursor = page.body.next_cursor;
    } while (cursor);
    const all = (await h.call('GET', '/categories?limit=200', alice)).body.data.map(
      (c: { name: string }) => c.name,
    );
    expect(names).toEqual(all);
    expect([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))).toEqual(names);
  });
});
