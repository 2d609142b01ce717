import { LedgerHarness, fieldsOf, type TestUser } from './support';

/** Characters a one-line name must not hold: they ring, move the cursor, break lines or reverse text. */
const HOSTILE: Array<[string, string]> = [
  ['BEL', 'a\u0007b'],
  ['ESC', 'a\u001b[31mb'],
  ['CR', 'a\rb'],
  ['LF', 'a\nb'],
  ['TAB', 'a\tb'],
  ['DEL', 'a\u007fb'],
  ['C1 CSI', 'a\u009bb'],
  ['RLO (U+202E)', 'invoice\u202Efdp.exe'],
  ['LRI (U+2066)', 'a\u2066b'],
];

describe('text fields', () => {
  let h: LedgerHarness;
  let user: TestUser;
  let account: { id: string };
  let category: { id: string };
  let transaction: { id: string };

  beforeAll(async () => {
    h = await LedgerHarness.start('text_fields');
    user = await h.user();
    account = (await h.call('POST', '/accounts', user, { body: { name: 'Plain', type: 'cash' } })).body;
    category = (await h.call('POST', '/categories', user, { body: { name: 'Plain', color: '#000000' } }))
      .body;
    transaction = (
      await h.call('POST', '/transactions', user, {
        body: { account_id: account.id, amount: '1', transaction_type: 'expense' },
      })
    ).body;
  });
  afterAll(() => h?.stop());

  /** Every single-line field of every write, with a body that is valid but for that field. */
  function writes(value: string): Array<[string, string, object, string]> {
    const tx = { account_id: account.id, amount: '1', transaction_type: 'expense' };
    return [
      ['POST', '/accounts', { name: value, type: 'cash' }, 'body.name'],
      ['PUT', `/accounts/${account.id}`, { name: value, type: 'cash' }, 'body.name'],
      ['PATCH', `/accounts/${account.id}`, { name: value }, 'body.name'],
      ['POST', '/categories', { name: value, color: '#000000' }, 'body.name'],
      ['POST', '/categories', { name: 'Ok', color: '#000000', icon: value }, 'body.icon'],
      ['PUT', `/categories/${category.id}`, { name: value, color: '#000000' }, 'body.name'],
      ['PATCH', `/categories/${category.id}`, { name: value }, 'body.name'],
      ['PATCH', `/categories/${category.id}`, { icon: value }, 'body.icon'],
      ['POST', '/transactions', { ...tx, description: value }, 'body.description'],
      ['POST', '/transactions', { ...tx, payee: value }, 'body.payee'],
      ['POST', '/transactions', { ...tx, tags: ['ok', value] }, 'body.tags[1]'],
      ['PUT', `/transactions/${transaction.id}`, { ...tx, description: value }, 'body.description'],
      ['PUT', `/transactions/${transaction.id}`, { ...tx, payee: value }, 'body.payee'],
      ['PATCH', `/transactions/${transaction.id}`, { description: value }, 'body.description'],
      ['PATCH', `/transactions/${transaction.id}`, { payee: value }, 'body.payee'],
      ['PATCH', `/transactions/${transaction.id}`, { tags: [value] }, 'body.tags[0]'],
    ];
  }

  it('refuses control characters and bidi overrides in every single-line name, naming the field', async () => {
    const before = await h.outboxCount(user.id);
    const failures: string[] = [];
    for (const [label, value] of HOSTILE) {
      for (const [method, path, body, field] of writes(value)) {
        const res = await h.call(method, path, user, { body });
        if (res.status !== 400 || !fieldsOf(res.body).includes(field))
          failures.push(
            `${method} ${path} ${field} ${label}: ${res.status} ${JSON.stringify(fieldsOf(res.body))}`,
          );
      }
      for (const parameter of ['tag', 'q']) {
        const res = await h.call('GET', `/transactions?${parameter}=${encodeURIComponent(value)}`, user);
        if (res.status !== 400 || !fieldsOf(res.body).includes(`query.${parameter}`))
          failures.push(`GET /transactions?${parameter} ${label}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(await h.outboxCount(user.id)).toBe(before);
  });

  it('keeps line breaks and tabs in notes, but no other control character', async () => {
    const notes = 'Split with Sam\r\n\t– paid back on Friday\n';
    const made = await h.call('POST', '/transactions', user, {
      body: { account_id: account.id, amount: '2', transaction_type: 'expense', notes },
    });
    expect(made.status).toBe(201);
    expect(made.body.notes).toBe(notes);
    for (const bad of ['a\u0007b', 'a\u001bb', 'a\u202Eb']) {
      const res = await h.call('PATCH', `/transactions/${made.body.id}`, user, { body: { notes: bad } });
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['body.notes']);
    }
    // Ordinary text, accents and emoji are names like any other.
    const fine = await h.call('POST', '/accounts', user, {
      body: { name: 'Épargne 🐖 “rainy day”', type: 'savings' },
    });
    expect(fine.status).toBe(201);
    expect(fine.body.name).toBe('Épargne 🐖 “rainy day”');
  });
});
