import { ledgerConfigSchema } from '../src/config';
import {
  patchedTemplate,
  replacementTemplate,
  rescheduledOccurrence,
  type TemplateState,
} from '../src/domain/recurring';
import type { RecurrenceRule } from '../src/domain/recurring-dates';

const monthly31: RecurrenceRule = {
  frequency: 'monthly',
  interval: 1,
  startDate: '2024-01-31',
  endDate: null,
  maxOccurrences: null,
};

const state: TemplateState = {
  accountId: 'a',
  toAccountId: null,
  categoryId: 'c',
  type: 'expense',
  amount: '10.00',
  currency: 'USD',
  description: 'Rent',
  notes: null,
  payee: null,
  tags: [],
  frequency: 'monthly',
  interval: 1,
  startDate: '2024-01-31',
  endDate: null,
  maxOccurrences: null,
  autoCreate: true,
  remindDaysBefore: 0,
  isActive: true,
};

describe('where a changed series goes on', () => {
  it('keeps a future next date, keeps catching up a past one, restarts at today', () => {
    const at = (today: string, currentNext: string | null, restart = false) =>
      rescheduledOccurrence(monthly31, { today, currentNext, restart })?.date;
    expect(at('2024-02-10', '2024-02-29')).toBe('2024-02-29');
    expect(at('2024-04-05', '2024-02-29')).toBe('2024-02-29'); // still catching up
    expect(at('2024-04-05', '2024-02-29', true)).toBe('2024-04-30'); // reactivated: from today
    expect(at('2024-04-05', null)).toBe('2024-04-30'); // had ended: starts at today
    expect(
      rescheduledOccurrence(
        { ...monthly31, interval: 2 },
        { today: '2024-02-10', currentNext: '2024-02-29', restart: false },
      )?.date,
    ).toBe('2024-03-31');
  });
});

describe('PUT and PATCH of a template', () => {
  it('a PUT keeps the account and the anchor it leaves out', () => {
    const draft = replacementTemplate(state, {
      transaction: { ...state, accountId: undefined, currency: undefined },
      frequency: 'weekly',
      interval: 2,
      endDate: null,
      maxOccurrences: null,
      autoCreate: false,
      remindDaysBefore: 1,
      isActive: true,
    });
    expect(draft).toMatchObject({ startDate: '2024-01-31', frequency: 'weekly', interval: 2 });
    expect(draft.transaction.accountId).toBe('a');
  });

  it("a PATCH merges, clears with null, and follows the transactions' type rules", () => {
    expect(patchedTemplate(state, {})).toBeUndefined();
    const ended = patchedTemplate(state, { endDate: '2024-12-31', interval: 3 })!;
    expect(ended).toMatchObject({ endDate: '2024-12-31', interval: 3, startDate: '2024-01-31' });
    expect(ended.transaction).toMatchObject({ amount: '10.00', categoryId: 'c', accountId: 'a' });
    const cleared = patchedTemplate(
      { ...state, endDate: '2024-12-31', maxOccurrences: 5 },
      {
        endDate: null,
        maxOccurrences: null,
      },
    )!;
    expect(cleared).toMatchObject({ endDate: null, maxOccurrences: null });
    const transfer = patchedTemplate(state, { type: 'transfer', toAccountId: 'b' })!;
    expect(transfer.transaction).toMatchObject({ type: 'transfer', toAccountId: 'b', categoryId: null });
  });
});

describe('the scheduler configuration', () => {
  it('takes a cron expression or off, and names a bad one', () => {
    const parse = (RECURRING_SCHEDULE?: string) => ledgerConfigSchema.safeParse({ RECURRING_SCHEDULE });
    expect(parse().data?.RECURRING_SCHEDULE).toBe('*/5 * * * *');
    expect(parse('off').success).toBe(true);
    expect(parse('*/1 * * * *').success).toBe(true);
    const bad = parse('every minute');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].path).toEqual(['RECURRING_SCHEDULE']);
  });
});
