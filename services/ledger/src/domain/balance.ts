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
