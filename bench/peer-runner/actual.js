// The peer bench's other side (bench/benches/peer.ts): Actual Budget's engine, @actual-app/api as
// installed on demand into bench/peer/ (never a project dependency), in a process of its own so
// its memory and CPU are its own. Local only: no sync server, the budget is a SQLite file under
// the data directory the parent names.
//
// The parent talks to it over the IPC channel, one request at a time:
//   { id, cmd: 'load', workloadFile, dataDir, budgetName } → { ms, addMs, rows }
//   { id, cmd: 'query', name, from, to }                   → { ms, result }
//   { id, cmd: 'stop' }                                    → { maxRssBytes }   (then exits)
// Every `ms` is measured here, around the engine's own calls: no IPC in it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const peerDir = process.argv[2];
if (!peerDir || !process.send) {
  console.error('usage: forked by bench/benches/peer.ts with the peer directory as argument');
  process.exit(2);
}
const api = createRequire(path.join(peerDir, 'package.json'))('@actual-app/api');
const { q } = api;

const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Loads the workload the way Actual's own importers (YNAB4, YNAB5) do: a new local budget in
 * import mode (`runImport`), the accounts and categories, then one `addTransactions` per
 * account with all of its rows. That is the engine's fastest bulk path: no reconciliation
 * against existing rows (importTransactions), no sync messages sent anywhere, one batch.
 * Timed from the start of `runImport` to its end, which closes and reloads the budget.
 */
async function load({ workloadFile, dataDir, budgetName }) {
  const workload = JSON.parse(fs.readFileSync(workloadFile, 'utf8'));
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  await api.init({ dataDir });
  let addMs = 0;
  const started = now();
  await api.runImport(budgetName, async () => {
    const accounts = [];
    for (const name of workload.accounts) accounts.push(await api.createAccount({ name, offbudget: false }));
    const group = await api.createCategoryGroup({ name: 'Spending', is_income: false, hidden: false });
    const categories = [];
    for (const name of workload.categories)
      categories.push(await api.createCategory({ name, group_id: group, is_income: false, hidden: false }));
    const incomeGroup = (await api.getCategoryGroups()).find((g) => g.is_income);
    const income = await api.createCategory({
      name: workload.incomeCategory,
      group_id: incomeGroup.id,
      is_income: true,
      hidden: false,
    });
    // Rows are [account, type, category index or null, amount in cents (> 0), date, payee].
    const byAccount = accounts.map(() => []);
    for (const [account, type, category, amount, date, payee] of workload.rows) {
      byAccount[account].push({
        date,
        amount: type === 'income' ? amount : -amount,
        payee_name: payee,
        category: type === 'income' ? income : category === null ? undefined : categories[category],
      });
    }
    const adding = now();
    for (let i = 0; i < accounts.length; i++) await api.addTransactions(accounts[i], byAccount[i]);
    addMs = now() - adding;
  });
  const ms = now() - started;
  const { data: rows } = await api.aqlQuery(q('transactions').calculate({ $count: '$id' }));
  return { ms, addMs, rows };
}

/**
 * Spending by category over a range: the leanest AQL for the answer our
 * GET /analytics/spending gives (expenses per category, uncategorised its own row, transfers
 * excluded, largest first). Actual's own custom report asks for more (five group-by keys,
 * aggregated in the client); the peer is not held to that.
 */
async function spending({ from, to }) {
  const { data } = await api.aqlQuery(
    q('transactions')
      .filter({ date: { $gte: from, $lte: to }, amount: { $lt: 0 }, 'payee.transfer_acct': null })
      .groupBy('category')
      .select([
        'category',
        { name: 'category.name' },
        { total: { $sum: '$amount' } },
        { count: { $count: '$id' } },
      ]),
  );
  data.sort((a, b) => a.total - b.total);
  return {
    total: -data.reduce((sum, row) => sum + row.total, 0),
    count: data.reduce((sum, row) => sum + row.count, 0),
    categories: data.length,
  };
}

/**
 * Income vs expense by month: the two queries of Actual's own cash-flow report, monthly
 * (desktop-client reports/spreadsheets/cash-flow-spreadsheet.tsx, `cashFlowByDate` concise,
 * without its opening-balance query): inflows and outflows grouped by month and by whether
 * the payee is a transfer, folded into income and expense per month here as the report does.
 */
async function incomeVsExpense({ from, to }) {
  const query = (sign) =>
    q('transactions')
      .filter({
        $and: [{ date: { $transform: '$month', $gte: from } }, { date: { $transform: '$month', $lte: to } }],
        'account.offbudget': false,
      })
      .filter({ amount: { [sign]: 0 } })
      .groupBy([{ $month: '$date' }, 'payee.transfer_acct'])
      .select([
        { date: { $month: '$date' } },
        { isTransfer: 'payee.transfer_acct' },
        { amount: { $sum: '$amount' } },
      ]);
  const { data: inflows } = await api.aqlQuery(query('$gt'));
  const { data: outflows } = await api.aqlQuery(query('$lt'));
  const months = new Map();
  const month = (key) => {
    if (!months.has(key)) months.set(key, { income: 0, expense: 0 });
    return months.get(key);
  };
  for (const row of inflows) if (row.isTransfer === null) month(row.date).income += row.amount;
  for (const row of outflows) if (row.isTransfer === null) month(row.date).expense -= row.amount;
  let income = 0;
  let expense = 0;
  for (const m of months.values()) {
    income += m.income;
    expense += m.expense;
  }
  return { income, expense, months: months.size };
}

const QUERIES = { spending, incomeVsExpense };

async function handle(message) {
  switch (message.cmd) {
    case 'load':
      return load(message);
    case 'query': {
      const started = now();
      const result = await QUERIES[message.name](message);
      return { ms: now() - started, result };
    }
    case 'stop':
      await api.shutdown();
      return { maxRssBytes: process.resourceUsage().maxRSS * 1024 };
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
}

process.on('message', (message) => {
  handle(message).then(
    (reply) => {
      process.send({ id: message.id, ...reply });
      if (message.cmd === 'stop') process.disconnect();
    },
    (error) => process.send({ id: message.id, error: error instanceof Error ? error.stack : String(error) }),
  );
});
