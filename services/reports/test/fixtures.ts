import { randomUUID } from 'node:crypto';
import type { FinanceEvent } from '@finance/shared';
import { account, category, event, profile, transaction } from './support';

/**
 * A believable household in London (GBP): salary, rent, groceries, transport… over six months
 * ending February 2026, generated deterministically so totals are known.
 */
export function householdEvents(userId: string) {
  const current = randomUUID();
  const card = randomUUID();
  const cat = {
    salary: [randomUUID(), 'Salary', '#1E8E3E', 'income'],
    rent: [randomUUID(), 'Rent', '#C5221F', 'expense'],
    groceries: [randomUUID(), 'Groceries', '#188038', 'expense'],
    eating: [randomUUID(), 'Eating out', '#E37400', 'expense'],
    transport: [randomUUID(), 'Transport', '#1967D2', 'expense'],
    utilities: [randomUUID(), 'Utilities', '#9334E6', 'expense'],
    fun: [randomUUID(), 'Entertainment', '#D01884', 'expense'],
    health: [randomUUID(), 'Health', '#129EAF', 'expense'],
  } as const;
  const events: FinanceEvent[] = [
    event('auth.user.registered', userId, userId, 1, profile('GBP', 'Europe/London')),
    event('ledger.account.created', userId, current, 1, account('Current account', 'GBP', '2400.00')),
    event('ledger.account.created', userId, card, 1, account('Credit card', 'GBP', '0')),
    ...Object.values(cat).map(([id, name, color, kind]) =>
      event('ledger.category.created', userId, id, 1, category(name, color, kind)),
    ),
  ];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const add = (
    date: string,
    amount: string,
    categoryId: string | null,
    description: string,
    payee: string | null,
    type: 'income' | 'expense' = 'expense',
  ) =>
    events.push(
      event(
        'ledger.transaction.created',
        userId,
        randomUUID(),
        1,
        transaction({
          accountId: type === 'income' ? current : card,
          currency: 'GBP',
          amount,
          categoryId,
          date,
          description,
          payee,
          type,
        }),
      ),
    );
  const months = ['2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02'];
  let februaryIncome = 0;
  let februaryExpense = 0;
  months.forEach((month, mi) => {
    const days = month === '2026-02' ? 28 : 30;
    const cents = (value: number) => Math.round(value * 100);
    const book = (
      day: number,
      pounds: number,
      categoryId: string | null,
      description: string,
      payee: string | null,
      type: 'income' | 'expense' = 'expense',
    ) => {
      const c = cents(pounds);
      if (month === '2026-02') {
        if (type === 'income') februaryIncome += c;
        else februaryExpense += c;
      }
      add(
        `${month}-${String(day).padStart(2, '0')}`,
        (c / 100).toFixed(2),
        categoryId,
        description,
        payee,
        type,
      );
    };
    book(1, 3850, cat.salary[0], 'Monthly salary', 'Acme Ltd', 'income');
    if (mi % 2 === 1) book(15, 420 + mi * 35, cat.salary[0], 'Freelance invoice', 'Studio North', 'income');
    book(1, 1250, cat.rent[0], 'Rent', 'Harbour Lettings', 'expense');
    book(5, 64.2 + mi * 3, cat.utilities[0], 'Electricity & gas', 'Octopus Energy');
    book(9, 38, cat.utilities[0], 'Broadband', 'Hyperoptic');
    book(3, 45.5, cat.health[0], 'Gym membership', 'PureGym');
    for (let day = 2; day <= days; day += 3)
      book(
        day,
        18 + Math.round(random() * 6200) / 100,
        cat.groceries[0],
        'Weekly shop',
        day % 2 ? 'Sainsbury’s' : 'Lidl',
      );
    for (let day = 1; day <= days; day += 2)
      book(day, 2.8 + (day % 5 === 0 ? 6.4 : 0), cat.transport[0], 'Tube fare', 'TfL');
    for (let day = 6; day <= days; day += 6)
      book(
        day,
        14 + Math.round(random() * 5800) / 100,
        cat.eating[0],
        'Dinner out',
        ['Dishoom', 'Padella', 'Honest Burgers'][day % 3],
      );
    book(12, 11.99, cat.fun[0], 'Streaming', 'Netflix');
    book(20, 32 + mi * 4, cat.fun[0], 'Concert tickets', 'Ticketmaster');
    book(23, 23.75, null, 'Birthday gift', null);
    if (month === '2026-02') book(17, 189.0, cat.health[0], 'Dentist', 'Smile Clinic');
  });
  return { events, februaryIncome, februaryExpense, accountId: current, categories: cat };
}
