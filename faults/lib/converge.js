// The convergence check: every read model against the ledger's truth, through the public API.
// For each user: budgets' spent per budget (food, fun, everything), reports' total and count per
// category, the goal's total against its contributions and the linked transactions' amounts, and
// the notifications: exactly one per threshold crossing the ledger's figures imply, none other.
'use strict';
const { FUN_LIMIT_MINOR, monthStart, today } = require('./load');

const toMinor = (decimal) => {
  const [whole, fraction = ''] = String(decimal).replace('-', '').split('.');
  const minor = BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2));
  return String(decimal).startsWith('-') ? -minor : minor;
};
const money = (minor) => {
  const abs = minor < 0n ? -minor : minor;
  return `${minor < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
};

/** What the ledger says, per user: the truth every read model must arrive at. */
async function ledgerTruth(client, user) {
  const transactions = await client.all(`/transactions?from=${monthStart()}&to=${today()}`, user.token);
  const byCategory = new Map();
  let expenses = 0n;
  const income = new Map();
  // Booked by the recurring scheduler (the rolling restart's series, described `recurring …`),
  // including series whose creation's answer the client lost.
  let recurringBooked = 0;
  for (const t of transactions) {
    if (t.description?.startsWith('recurring ')) recurringBooked += 1;
    if (t.transaction_type === 'expense') {
      const key = t.category_id ?? null;
      const entry = byCategory.get(key) ?? { total: 0n, count: 0 };
      entry.total += toMinor(t.base_amount);
      entry.count += 1;
      byCategory.set(key, entry);
      expenses += toMinor(t.base_amount);
    } else if (t.transaction_type === 'income') {
      income.set(t.id, toMinor(t.base_amount));
    }
  }
  return { byCategory, expenses, income, recurringBooked };
}

/** One user's comparison: a list of {service, what, expected, actual}, differences marked. */
async function compareUser(client, user) {
  const rows = [];
  const row = (service, what, expected, actual) =>
    rows.push({
      service,
      user: user.name,
      what,
      expected: String(expected),
      actual: String(actual),
      ok: String(expected) === String(actual),
    });
  const truth = await ledgerTruth(client, user);
  const categoryTotal = (key) => truth.byCategory.get(key) ?? { total: 0n, count: 0 };

  // budgets: the current window's spent of each budget.
  const expectedSpent = {
    food: categoryTotal(user.categories.food).total,
    fun: categoryTotal(user.categories.fun).total,
    all: truth.expenses,
  };
  for (const [key, id] of Object.entries(user.budgets)) {
    const answer = await client.request('GET', `/budgets/${id}`, { token: user.token });
    row(
      'budgets',
      `spent ${key}`,
      money(expectedSpent[key]),
      answer.status === 200 ? answer.body.spent : `HTTP ${answer.status}`,
    );
  }

  // reports: total and count per category (uncategorised included).
  const spending = await client.request('GET', `/analytics/spending?from=${monthStart()}&to=${today()}`, {
    token: user.token,
  });
  const reported = new Map((spending.body?.categories ?? []).map((c) => [c.category_id, c]));
  const names = {
    [user.categories.food]: 'food',
    [user.categories.rent]: 'rent',
    [user.categories.fun]: 'fun',
  };
  for (const key of new Set([...truth.byCategory.keys(), ...reported.keys()])) {
    const name = key === null ? 'uncategorised' : (names[key] ?? key);
    const expected = categoryTotal(key);
    const actual = reported.get(key);
    row(
      'reports',
      `${name} total/count`,
      `${money(expected.total)}/${expected.count}`,
      actual ? `${actual.total}/${actual.count}` : 'absent',
    );
  }
  row('reports', 'expense total', money(truth.expenses), spending.body?.total ?? `HTTP ${spending.status}`);

  // goals: total = its contributions; each linked one = the ledger transaction, none of a deleted one.
  const goal = await client.request('GET', `/goals/${user.goal}`, { token: user.token });
  const contributions = await client.all(`/goals/${user.goal}/contributions`, user.token);
  const contributed = contributions.reduce((sum, c) => sum + toMinor(c.amount), 0n);
  row(
    'goals',
    'current_amount = Σ contributions',
    money(contributed),
    goal.body?.current_amount ?? `HTTP ${goal.status}`,
  );
  const linked = new Map(
    contributions.filter((c) => c.transaction_id).map((c) => [c.transaction_id, toMinor(c.amount)]),
  );
  let expectedLinked = 0n;
  let linkedMismatches = 0;
  for (const [id, amount] of truth.income) {
    if (!user.linkedTransactions?.has(id)) continue;
    expectedLinked += amount;
    if (linked.get(id) !== amount) linkedMismatches += 1;
  }
  for (const id of linked.keys()) if (!truth.income.has(id)) linkedMismatches += 1;
  row(
    'goals',
    'Σ linked = Σ ledger amounts',
    money(expectedLinked),
    money([...linked.values()].reduce((a, b) => a + b, 0n)),
  );
  row('goals', 'linked contributions differing from the ledger', 0, linkedMismatches);

  // notifier: one per threshold crossing. Fun's expenses are create-only in steps of at most 5 %,
  // so the ledger's total says which thresholds were crossed; the other budgets never come near.
  const notifications = await client.all('/notifications', user.token);
  const count = (kind, budgetId) =>
    notifications.filter((n) => n.kind === kind && n.data?.budget_id === budgetId).length;
  const fun = expectedSpent.fun;
  const exceeded = fun > FUN_LIMIT_MINOR ? 1 : 0;
  const reached = fun * 100n >= 80n * FUN_LIMIT_MINOR ? 1 : 0;
  row(
    'notifier',
    'fun: budget_threshold_reached',
    reached,
    count('budget_threshold_reached', user.budgets.fun),
  );
  row('notifier', 'fun: budget_exceeded', exceeded, count('budget_exceeded', user.budgets.fun));
  // One per recurring occurrence the ledger booked, none twice.
  row(
    'notifier',
    'recurring_generated, one per booked occurrence',
    truth.recurringBooked,
    notifications.filter((n) => n.kind === 'recurring_generated').length,
  );
  // One per import the user ran (the killed import's: once, though it ran twice).
  row(
    'notifier',
    'import_completed, one per import',
    user.imports ?? 0,
    notifications.filter((n) => n.kind === 'import_completed').length,
  );
  const others = notifications
    .filter(
      (n) =>
        n.data?.budget_id !== user.budgets.fun &&
        !['recurring_generated', 'import_completed'].includes(n.kind),
    )
    .map((n) => n.kind);
  row('notifier', 'other notifications', '', others.join(','));
  return rows;
}

/** Compares every user until all agree or `timeoutMs` passed; returns the last comparison. */
async function awaitConvergence(client, users, { timeoutMs = 180_000 } = {}) {
  const started = Date.now();
  let rows = [];
  for (;;) {
    rows = [];
    for (const user of users) rows.push(...(await compareUser(client, user)));
    const differences = rows.filter((r) => !r.ok).length;
    if (differences === 0 || Date.now() - started > timeoutMs) {
      return { rows, differences, seconds: (Date.now() - started) / 1000 };
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** The convergence report: a line per service and user, every difference spelled out. */
function formatReport(result) {
  const lines = [];
  const groups = new Map();
  for (const r of result.rows) {
    const key = `${r.service} ${r.user}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, rows] of groups) {
    const bad = rows.filter((r) => !r.ok);
    lines.push(`  ${bad.length ? 'DIFF' : 'ok  '} ${key}: ${rows.length - bad.length}/${rows.length} agree`);
    for (const r of bad) lines.push(`         ${r.what}: expected ${r.expected}, actual ${r.actual}`);
  }
  lines.push(`  ${result.differences} difference(s); checked for ${result.seconds.toFixed(1)} s`);
  return lines.join('\n');
}

module.exports = { awaitConvergence, formatReport, compareUser, toMinor, money };
