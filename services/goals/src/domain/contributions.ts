/**
 * The rules of contributions, pure: how much of a transaction is left to give, what happens to
 * contributions when the ledger shrinks their transaction, and how withdrawals are kept from
 * taking a goal below zero. Amounts are exact minor units (bigint).
 */

/** `transaction`: linked to a ledger transaction; `manual`: money put aside outside the tracked accounts; `withdrawal`: taken out (negative). */
export const contributionKinds = ['transaction', 'manual', 'withdrawal'] as const;
export type ContributionKind = (typeof contributionKinds)[number];

/** A contribution's amount as the rules see it: `amount` > 0, except withdrawals (< 0). */
export interface ContributionAmount {
  id: string;
  amount: bigint;
}

/** A new amount for a contribution; 0 means it goes. */
export interface AmountChange {
  id: string;
  amount: bigint;
}

/** What is left of a transaction for further contributions (never negative). */
export function unallocated(transactionAmount: bigint, alreadyContributed: bigint): bigint {
  const left = transactionAmount - alreadyContributed;
  return left > 0n ? left : 0n;
}

/**
 * The ledger shrank a transaction below what its contributions add up to: the most recent
 * contributions give way first (last in, first out), each reduced by as much as is still over,
 * one reduced to nothing is removed; older ones keep their amount. `newestFirst` are the
 * transaction's contributions across all goals, most recent first. Answers only what changes.
 */
export function fitToTransaction(
  newestFirst: readonly ContributionAmount[],
  available: bigint,
): AmountChange[] {
  let over = newestFirst.reduce((sum, c) => sum + c.amount, 0n) - (available > 0n ? available : 0n);
  const changes: AmountChange[] = [];
  for (const contribution of newestFirst) {
    if (over <= 0n) break;
    const cut = contribution.amount < over ? contribution.amount : over;
    changes.push({ id: contribution.id, amount: contribution.amount - cut });
    over -= cut;
  }
  return changes;
}

/**
 * A goal's total may never be below zero. When the ledger takes away money a withdrawal was
 * taken from (a linked transaction deleted or shrunk), the most recent withdrawals give way
 * first until the total is zero again: more cannot have been taken out than was put in.
 * `withdrawalsNewestFirst` have negative amounts; answers only what changes.
 */
export function fitWithdrawals(
  total: bigint,
  withdrawalsNewestFirst: readonly ContributionAmount[],
): AmountChange[] {
  let below = total < 0n ? -total : 0n;
  const changes: AmountChange[] = [];
  for (const withdrawal of withdrawalsNewestFirst) {
    if (below <= 0n) break;
    const size = -withdrawal.amount;
    const cut = size < below ? size : below;
    changes.push({ id: withdrawal.id, amount: withdrawal.amount + cut });
    below -= cut;
  }
  return changes;
}
