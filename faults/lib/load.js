// The steady load of the fault runs, all through the gateway: users with accounts, categories,
// budgets and a savings goal, then a stream of transactions created, changed and deleted at a
// fixed rate. What the load believes does not matter for the verdict: the convergence check
// compares every read model with the ledger's own state afterwards. The load only keeps enough
// state to pick sensible next requests.
'use strict';
const { randomInt } = require('crypto');

const PASSWORD = 'fault tolerant horse battery';
/** The budget the load drives over its limit, with create-only expenses of at most 5 % of it. */
const FUN_LIMIT_MINOR = 2_000n;
/** The fun expenses stop once this much was spent: both thresholds (80 and 100 %) crossed. */
const FUN_STOP_MINOR = 2_600n;

const today = () => new Date().toISOString().slice(0, 10);
const monthStart = () => `${today().slice(0, 8)}01`;
const minorToDecimal = (minor) => {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
};
const amountBetween = (lowMinor, highMinor) => BigInt(randomInt(lowMinor, highMinor + 1));

async function expectStatus(entry, status, what) {
  if (entry.status !== status) {
    throw new Error(
      `${what}: ${entry.method} ${entry.path} → ${entry.status} ${JSON.stringify(entry.body ?? entry.error)}`,
    );
  }
  return entry.body;
}

/** Registers and equips one user; retries nothing: set-up runs before any fault. */
async function createUser(client, name) {
  const registered = await client.request('POST', '/auth/register', {
    body: { email: `${name}@example.com`, username: name, password: PASSWORD, base_currency: 'USD' },
  });
  await expectStatus(registered, 201, `register ${name}`);
  const login = await client.request('POST', '/auth/login', { body: { username: name, password: PASSWORD } });
  const { access_token: token } = await expectStatus(login, 200, `login ${name}`);
  const user = {
    name,
    id: registered.body.id,
    token,
    categories: {},
    budgets: {},
    transactions: new Map(),
    linkedTransactions: new Set(),
  };

  const post = async (path, body) =>
    expectStatus(await client.request('POST', path, { token, body }), 201, `${name} ${path}`);
  user.checking = (await post('/accounts', { name: 'Checking', type: 'checking', currency: 'USD' })).id;
  user.savings = (await post('/accounts', { name: 'Savings', type: 'savings', currency: 'USD' })).id;
  for (const [key, kind, color] of [
    ['food', 'expense', '#2E7D32'],
    ['rent', 'expense', '#C62828'],
    ['fun', 'expense', '#6A1B9A'],
    ['salary', 'income', '#1565C0'],
  ]) {
    user.categories[key] = (await post('/categories', { name: `Fault ${key}`, kind, color })).id;
  }
  const budget = (body) => post('/budgets', { period: 'monthly', start_date: monthStart(), ...body });
  // Food and everything: never near their limits (no alert expected); fun: crossed by the load.
  user.budgets.food = (
    await budget({ name: 'Food', category_id: user.categories.food, amount: '1000000.00' })
  ).id;
  user.budgets.fun = (
    await budget({ name: 'Fun', category_id: user.categories.fun, amount: minorToDecimal(FUN_LIMIT_MINOR) })
  ).id;
  user.budgets.all = (await budget({ name: 'Everything', amount: '1000000.00' })).id;
  user.goal = (
    await post('/goals', { name: 'Rainy day', target_amount: '1000000.00', account_id: user.savings })
  ).id;
  user.funSpentMinor = 0n;
  return user;
}

/** One request of the load, chosen by weight among those that make sense for the user now. */
async function oneOperation(client, user, stats) {
  const { token } = user;
  const mutable = [...user.transactions.values()].filter((t) => !t.busy);
  const roll = randomInt(100);
  const date = today();
  let entry;
  if (roll < 35 && user.funSpentMinor < FUN_STOP_MINOR) {
    // Fun: create-only, small steps, so the read model's spent passes through 80-100 % on the way.
    const amount = amountBetween(50, 100);
    entry = await client.request('POST', '/transactions', {
      token,
      body: {
        account_id: user.checking,
        transaction_type: 'expense',
        amount: minorToDecimal(amount),
        category_id: user.categories.fun,
        date,
        description: 'fun',
      },
    });
    if (entry.status === 201) user.funSpentMinor += amount;
  } else if (roll < 24) {
    entry = await client.request('POST', '/transactions', {
      token,
      body: {
        account_id: user.savings,
        transaction_type: 'income',
        amount: minorToDecimal(amountBetween(1000, 20000)),
        category_id: user.categories.salary,
        date,
        description: 'salary',
      },
    });
    if (entry.status === 201) {
      const transaction = { id: entry.body.id, kind: 'income', busy: true };
      user.transactions.set(transaction.id, transaction);
      // Retried with the same Idempotency-Key until the answer is definite: a link that failed
      // on the way (a 503, a lost answer) may or may not have been applied.
      let link;
      for (let attempt = 0; attempt < 20; attempt += 1) {
        link = await client.request('POST', `/goals/${user.goal}/contribute`, {
          token,
          body: { transaction_id: transaction.id },
          headers: { 'idempotency-key': `link-${transaction.id}` },
        });
        if (link.status !== 0 && link.status < 500) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      if (link.status === 201) user.linkedTransactions.add(transaction.id);
      stats.count(`link ${link.status}`);
      transaction.busy = false;
    }
  } else if (roll < 60 || mutable.length < 5) {
    const keys = ['food', 'rent', null];
    const category = keys[randomInt(keys.length)];
    entry = await client.request('POST', '/transactions', {
      token,
      body: {
        account_id: user.checking,
        transaction_type: 'expense',
        amount: minorToDecimal(amountBetween(100, 9000)),
        category_id: category ? user.categories[category] : null,
        date,
        description: 'expense',
      },
    });
    if (entry.status === 201)
      user.transactions.set(entry.body.id, { id: entry.body.id, kind: 'expense', busy: false });
  } else if (roll < 88) {
    const transaction = mutable[randomInt(mutable.length)];
    transaction.busy = true;
    const body = { amount: minorToDecimal(amountBetween(100, 9000)) };
    if (transaction.kind === 'expense' && randomInt(3) === 0) {
      const keys = ['food', 'rent', null];
      const category = keys[randomInt(keys.length)];
      body.category_id = category ? user.categories[category] : null;
    }
    entry = await client.request('PATCH', `/transactions/${transaction.id}`, { token, body });
    transaction.busy = false;
  } else {
    const transaction = mutable[randomInt(mutable.length)];
    transaction.busy = true;
    entry = await client.request('DELETE', `/transactions/${transaction.id}`, { token });
    if (entry.status === 204 || entry.status === 404) user.transactions.delete(transaction.id);
    else transaction.busy = false;
  }
  stats.count(`${entry.method} ${entry.status}`);
  return entry;
}

class Stats {
  constructor() {
    this.counts = {};
  }
  count(key) {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }
}

/**
 * Runs `total` operations at `ratePerSecond` (at most `concurrency` in flight) spread over the
 * users. `faults`: `{ at, run }` each; `run()` starts once `at` operations were started and is not
 * awaited by the load: a fault takes its time (a broker restart) while the load goes on, past
 * `total` until every fault is over, and two seconds more (the recovery is under load too).
 * Resolves with the per-operation counts once every operation and fault finished; rejects with
 * the first fault that threw.
 */
async function runLoad(client, users, { total, ratePerSecond, concurrency = 16, faults = [] }) {
  const stats = new Stats();
  const started = Date.now();
  const inFlight = new Set();
  const running = [];
  let pendingFaults = 0;
  let extra = 0;
  // A fault that throws fails the scenario once the load is over, never the process meanwhile.
  const faultErrors = [];
  for (let i = 0; i < total || pendingFaults > 0 || extra++ < ratePerSecond * 2; i += 1) {
    const due = started + (i * 1000) / ratePerSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const operation = oneOperation(client, users[i % users.length], stats).catch((error) =>
      stats.count(`error ${error.message}`),
    );
    inFlight.add(operation);
    operation.finally(() => inFlight.delete(operation));
    for (const fault of faults.filter((f) => f.at === i + 1)) {
      pendingFaults += 1;
      running.push(
        Promise.resolve()
          .then(fault.run)
          .catch((error) => faultErrors.push(error))
          .finally(() => (pendingFaults -= 1)),
      );
    }
    // Behind schedule nothing above awaits: give the faults' callbacks a turn.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(inFlight);
  await Promise.all(running);
  if (faultErrors.length) throw faultErrors[0];
  return { counts: stats.counts, seconds: (Date.now() - started) / 1000 };
}

module.exports = {
  createUser,
  runLoad,
  expectStatus,
  PASSWORD,
  FUN_LIMIT_MINOR,
  minorToDecimal,
  today,
  monthStart,
};
