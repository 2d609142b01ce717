/** The money movements that make up an account's balance, each a sum of minor units. */
export interface AccountMovements {
  openingBalance: bigint;
  income: bigint;
  expense: bigint;
  transfersOut: bigint;
  transfersIn: bigint;
}

/** opening + income − expense − transfers out + transfers in, exact in minor units. */
export function accountBalance(m: AccountMovements): bigint {
  return m.openingBalance + m.income - m.expense - m.transfersOut + m.transfersIn;
}

/**
 * An account's balances in minor units: every transaction; only the cleared and reconciled ones
 * (what the bank has seen: a statement is checked against it); only the reconciled ones.
 */
export interface AccountBalances {
  balance: bigint;
  cleared: bigint;
  reconciled: bigint;
}
