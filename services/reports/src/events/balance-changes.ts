import { toMinorUnits, type FinanceEvent } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import {
  balanceStates,
  lockBalanceStates,
  writeBalanceChanges,
  type BalanceLeg,
  type BalanceState,
  type TransferArrival,
} from '../data/balance-changes';

type TransactionEvent = FinanceEvent<
  'ledger.transaction.created' | 'ledger.transaction.updated' | 'ledger.transaction.deleted'
>;

/**
 * Keeps `account_day_changes` in step with the transaction read model, around whatever the
 * transaction handler does (it decides versions, ownership and the stored row; this only reads
 * the row before and after and books the difference): lock the ids, read their balance state,
 * apply the handler, read again, write after − before. The arrival of a transfer between
 * currencies is the one thing the read-model row does not hold: it comes from the event whose
 * version the row now has. Wrapping keeps this bookkeeping apart from the handlers' own code.
 */
export function withBalanceChanges<E extends TransactionEvent>(
  handler: (events: readonly E[], manager: EntityManager) => Promise<void>,
): (events: readonly E[], manager: EntityManager) => Promise<void> {
  return async (events, manager) => {
    const ids = [...new Set(events.map((event) => event.aggregateId.toLowerCase()))];
    await lockBalanceStates(manager, ids);
    const before = await balanceStates(manager, ids);
    await handler(events, manager);
    const after = await balanceStates(manager, ids);

    // The event each stored row now comes from, by id and version (a run may hold several per id);
    // of two with one version the first counts, as in the handler (the later one is not newer).
    const byVersion = new Map<string, E>();
    for (const event of events) {
      const key = `${event.aggregateId.toLowerCase()}:${event.aggregateVersion}`;
      if (!byVersion.has(key)) byVersion.set(key, event);
    }
    const arrivals = new Map<string, { userId: string; arrival: TransferArrival | null }>();
    const legs: BalanceLeg[] = [];
    for (const id of ids) {
      const old = before.get(id);
      let now = after.get(id);
      if (old && now && old.version === now.version) continue; // the handler changed nothing
      if (!old && !now) continue;
      if (now) {
        const source = byVersion.get(`${id}:${now.version}`);
        const arrival = source ? arrivalOf(source) : null;
        now = {
          ...now,
          to_amount_minor: arrival?.toAmountMinor.toString() ?? null,
          to_currency: arrival?.toCurrency ?? null,
        };
        if (arrival || old?.to_amount_minor) arrivals.set(id, { userId: now.user_id, arrival });
      } else if (old?.to_amount_minor) {
        arrivals.set(id, { userId: old.user_id, arrival: null });
      }
      if (old) legs.push(...balanceLegs(old, -1));
      if (now) legs.push(...balanceLegs(now, 1));
    }
    await writeBalanceChanges(manager, arrivals, legs);
  };
}

/** The same for a handler of one event at a time. */
export function withBalanceChange<E extends TransactionEvent>(
  handler: (event: E, manager: EntityManager) => Promise<void>,
): (event: E, manager: EntityManager) => Promise<void> {
  const wrapped = withBalanceChanges<E>(([event], manager) => handler(event, manager));
  return (event, manager) => wrapped([event], manager);
}

/** What a transfer between currencies delivered, as its event says; null for anything else. */
function arrivalOf(event: TransactionEvent): TransferArrival | null {
  const p = event.payload;
  if (p.type !== 'transfer' || !p.toAmount || !p.toCurrency) return null;
  return { toAmountMinor: toMinorUnits(p.toAmount, p.toCurrency), toCurrency: p.toCurrency };
}

/**
 * What one transaction does to its accounts' balances (sign +1), or undoes (−1): income adds to its
 * account, an expense takes away; a transfer takes its amount from its account and adds what
 * arrived to the target — the same base amount on both sides, so net worth never moves.
 */
export function balanceLegs(state: BalanceState, sign: 1 | -1): BalanceLeg[] {
  const amount = BigInt(state.amount_minor);
  const base = BigInt(state.base_amount_minor);
  const leg = (accountId: string, currency: string, change: bigint, baseChange: bigint): BalanceLeg => ({
    userId: state.user_id,
    accountId,
    date: state.date,
    currency,
    baseCurrency: state.base_currency,
    changeMinor: sign === 1 ? change : -change,
    baseChangeMinor: sign === 1 ? baseChange : -baseChange,
    count: sign,
  });
  if (state.type === 'income') return [leg(state.account_id, state.currency, amount, base)];
  const legs = [leg(state.account_id, state.currency, -amount, -base)];
  if (state.type === 'transfer' && state.to_account_id)
    legs.push(
      leg(
        state.to_account_id,
        state.to_currency ?? state.currency,
        state.to_amount_minor === null ? amount : BigInt(state.to_amount_minor),
        base,
      ),
    );
  return legs;
}
