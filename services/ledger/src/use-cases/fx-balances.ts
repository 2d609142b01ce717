import { userSettingsOf, localDate } from '@finance/shared';
import { convertWith, formatRate, noRateMessage } from '../domain/fx';
import { balancesOf, listAccounts } from '../data/accounts';
import type { Account } from '../data/entities';
import { quotesFor, withRates } from './exchange-rates';
import { fxContextOf } from './fx-conversions';
import type { LedgerContext } from './context';

/** More accounts than anyone keeps; the view is one answer, not a page. */
const MAX_ACCOUNTS = 1_000;

export interface AccountInBase {
  account: Account;
  balanceMinor: bigint;
  /** Undefined when no rate exists on or before the date (`problem` says which). */
  baseBalanceMinor?: bigint;
  fxRate: string | null;
  fxRateDate: string | null;
  problem: string | null;
}

/**
 * Every open account's balance in its own currency and in the user's base currency at the latest
 * rate on or before `date` (default: today in the user's timezone), and their total in the base
 * currency. An account without a rate is listed unconverted and the total says it is incomplete.
 */
export async function balancesInBaseCurrency(
  context: LedgerContext,
  userId: string,
  date?: string,
): Promise<{
  baseCurrency: string;
  date: string;
  totalMinor: bigint;
  complete: boolean;
  accounts: AccountInBase[];
}> {
  const { manager } = context.dataSource;
  const settings = await userSettingsOf(manager, userId);
  const day = date ?? localDate(context.clock(), settings.timezone);
  const base = settings.baseCurrency;
  const accounts = await listAccounts(manager, userId, { archived: false, limit: MAX_ACCOUNTS });
  const balances = await balancesOf(manager, userId, accounts);
  const fx = fxContextOf(context);
  const currencies = [...new Set(accounts.map((a) => a.currency))].filter((c) => c !== base);
  const quotes = await withRates(fx, (mayFetch) =>
    quotesFor(
      fx,
      manager,
      currencies.map((from) => ({ from, to: base, date: day })),
      mayFetch,
    ),
  );
  let totalMinor = 0n;
  let complete = true;
  const rows = accounts.map((account): AccountInBase => {
    const balanceMinor = balances.get(account.id) ?? BigInt(account.openingBalanceMinor);
    if (account.currency === base) {
      totalMinor += balanceMinor;
      return {
        account,
        balanceMinor,
        baseBalanceMinor: balanceMinor,
        fxRate: null,
        fxRateDate: null,
        problem: null,
      };
    }
    const quote = quotes.get(`${account.currency}>${base}`);
    if (!quote) {
      complete = false;
      return {
        account,
        balanceMinor,
        fxRate: null,
        fxRateDate: null,
        problem: noRateMessage(account.currency, base, day),
      };
    }
    const baseBalanceMinor = convertWith(quote, balanceMinor);
    totalMinor += baseBalanceMinor;
    return {
      account,
      balanceMinor,
      baseBalanceMinor,
      fxRate: formatRate(quote.ratio),
      fxRateDate: quote.date,
      problem: null,
    };
  });
  return { baseCurrency: base, date: day, totalMinor, complete, accounts: rows };
}
