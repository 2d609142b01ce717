import fc from 'fast-check';
import { DATE_DOMAIN, isInDateDomain } from '@finance/shared';
import { LedgerHarness, fieldsOf, type TestUser } from './support';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Date-shaped text across every four-digit year (and some impossible months and days). */
const dateShaped = fc
  .record({
    year: fc.oneof(
      fc.integer({ min: 0, max: 9999 }),
      fc.constantFrom(1, 99, 100, 1899, 1900, 1970, 2024, 2999, 3000, 9999),
    ),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
  })
  .map(({ year, month, day }) => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`);

/** What a client may send where a date is expected: dates, date-times, and anything else. */
const anyDateInput = fc.oneof(
  { weight: 4, arbitrary: dateShaped },
  { weight: 2, arbitrary: dateShaped.map((d) => `${d}T10:30:00`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      DATE_DOMAIN.min,
      DATE_DOMAIN.max,
      '1899-12-31',
      '3000-01-01',
      '9999-12-31',
      '0000-01-01',
      '10000-01-01',
      '+010000-01-01',
      '-0001-01-01',
      '2024-02-30',
      '2024-2-1',
      ' 2024-01-01 ',
      '2024-01-01T',
      '2024-01-01Tnoon',
      '2024-01-01 10:00',
      '',
      'yesterday',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

/** What the ledger must answer for a date it was sent in a body: accepted in the domain, else 400. */
function expectedBodyDate(input: string): string | undefined {
  const text = input.trim();
  const date = text.slice(0, 10);
  const rest = text.slice(10);
  if (rest !== '' && !/^T\d{2}:\d{2}/.test(rest)) return undefined;
  return isInDateDomain(date) ? date : undefined;
}

describe('dates: one date domain for every date the ledger accepts', () => {
  let h: LedgerHarness;
  let user: TestUser;
  let account: { id: string };
  let transaction: { id: string };

  beforeAll(async () => {
    h = await LedgerHarness.start('dates');
    user = await h.user();
    account = (await h.call('POST', '/accounts', user, { body: { name: 'Dates', type: 'cash' } })).body;
    transaction = (
      await h.call('POST', '/transactions', user, {
        body: { account_id: account.id, amount: '1', transaction_type: 'expense', date: '2024-01-01' },
      })
    ).body;
  });
  afterAll(() => h?.stop());

  it(`refuses dates outside ${DATE_DOMAIN.min}..${DATE_DOMAIN.max} with a 400 naming the field`, async () => {
    const body = { account_id: account.id, amount: '1', transaction_type: 'expense' };
    for (const date of ['1899-12-31', '3000-01-01', '9999-12-31', '0100-01-01', '2999-12-32']) {
      for (const [method, path, payload] of [
        ['POST', '/transactions', { ...body, date }],
        ['PUT', `/transactions/${transaction.id}`, { ...body, date }],
        ['PATCH', `/transactions/${transaction.id}`, { date }],
      ] as const) {
        const res = await h.call(method, path, user, { body: payload });
        expect({ method, date, status: res.status }).toEqual({ method, date, status: 400 });
        expect(fieldsOf(res.body)).toEqual(['body.date']);
      }
      for (const parameter of ['from', 'to']) {
        const res = await h.call('GET', `/transactions?${parameter}=${date}`, user);
        expect({ parameter, date, status: res.status }).toEqual({ parameter, date, status: 400 });
        expect(fieldsOf(res.body)).toEqual([`query.${parameter}`]);
      }
    }
    const edges = await h.call('GET', `/transactions?from=${DATE_DOMAIN.min}&to=${DATE_DOMAIN.max}`, user);
    expect(edges.status).toBe(200);
    for (const date of [DATE_DOMAIN.min, DATE_DOMAIN.max]) {
      const res = await h.call('POST', '/transactions', user, { body: { ...body, date } });
      expect(res.status).toBe(201);
      expect(res.body.date).toBe(date);
    }
  });

  it('never answers 5xx to any date in a transaction write: in the domain it is stored as given, else 400 body.date', async () => {
    const body = { account_id: account.id, amount: '1', transaction_type: 'expense' };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'PUT', 'PATCH'), anyDateInput, async (method, date) => {
        const res =
          method === 'POST'
            ? await h.call('POST', '/transactions', user, { body: { ...body, date } })
            : await h.call(method, `/transactions/${transaction.id}`, user, {
                body: method === 'PUT' ? { ...body, date } : { date },
              });
        const expected = expectedBodyDate(date);
        if (expected === undefined) {
          expect({ date, status: res.status }).toEqual({ date, status: 400 });
          expect(fieldsOf(res.body)).toEqual(['body.date']);
        } else {
          expect({ date, status: res.status }).toEqual({ date, status: method === 'POST' ? 201 : 200 });
          expect(res.body.date).toBe(expected);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never answers 5xx to any from/to in a list: in the domain it filters, else 400 naming the parameter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(anyDateInput), fc.option(anyDateInput), async (from, to) => {
        const query = new URLSearchParams();
        if (from !== null) query.set('from', from);
        if (to !== null) query.set('to', to);
        const res = await h.call('GET', `/transactions?${query}`, user);
        const bad = [
          ...(from !== null && !isInDateDomain(from) ? ['query.from'] : []),
          ...(to !== null && !isInDateDomain(to) ? ['query.to'] : []),
        ];
        if (bad.length) {
          expect({ from, to, status: res.status }).toEqual({ from, to, status: 400 });
          expect(fieldsOf(res.body).sort()).toEqual(bad.sort());
        } else if (from !== null && to !== null && from > to) {
          // both in the domain (four-digit years), so string order is date order here
          expect(res.status).toBe(400);
          expect(fieldsOf(res.body)).toEqual(['query.from']);
        } else {
          expect({ from, to, status: res.status }).toEqual({ from, to, status: 200 });
          for (const t of res.body.data as Array<{ date: string }>) {
            if (from !== null) expect(t.date >= from).toBe(true);
            if (to !== null) expect(t.date <= to).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
