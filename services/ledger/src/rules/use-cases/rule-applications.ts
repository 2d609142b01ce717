import type { EntityManager } from 'typeorm';
import { lockUserForWrite } from '@finance/shared';
import type { Transaction } from '../../data/entities';
import { RuleViolation } from '../../domain/problems';
import { withUserSettings, type LedgerContext, type SettingsOf } from '../../use-cases/context';
import { withRates } from '../../use-cases/exchange-rates';
import { fxContextOf } from '../../use-cases/fx-conversions';
import { draftOfStored, rewriteTransaction } from '../../use-cases/transactions';
import { findRule, type RuleRecord } from '../data/rules';
import {
  countInRange,
  insertRuleJob,
  transactionsInRange,
  type DateRange,
  type RuleJob,
} from '../data/rule-jobs';
import { getRule } from './rules';
import { loadRuleSet, runRuleSet, type RuleSet } from './rule-runs';

/** Transactions changed per DB transaction in a background apply. */
export const APPLY_BATCH = 200;

export interface ApplyCounts {
  examined: number;
  changed: number;
  /** Changes the ledger's own rules refused (e.g. a currency without a rate): left as they were. */
  failed: number;
}

/** The rule alone, run whether or not it is enabled (applying it is the user's explicit wish). */
export function ruleSetOf(
  context: LedgerContext,
  manager: EntityManager,
  rule: RuleRecord,
): Promise<RuleSet> {
  return loadRuleSet(context, manager, rule.userId, [{ ...rule, enabled: true }]);
}

/**
 * Runs a rule on stored transactions in the caller's DB transaction (they are locked): each it
 * changes is rewritten through the normal update path (checked, a new version, its
 * ledger.transaction.updated in the outbox); one the ledger's rules refuse is counted as failed
 * and left as it was.
 */
export async function applyToTransactions(
  context: LedgerContext,
  manager: EntityManager,
  settingsOf: SettingsOf,
  set: RuleSet,
  transactions: readonly Transaction[],
  mayFetchRates: boolean,
): Promise<ApplyCounts> {
  const counts: ApplyCounts = { examined: 0, changed: 0, failed: 0 };
  for (const t of transactions) {
    counts.examined += 1;
    const { draft, effects } = runRuleSet(set, draftOfStored(t), {
      accountId: t.accountId,
      currency: t.currency,
    });
    if (!effects.some((e) => e.changed.length > 0)) continue;
    try {
      await rewriteTransaction(context, manager, t.userId, settingsOf, t, draft, mayFetchRates);
      counts.changed += 1;
    } catch (error) {
      if (!(error instanceof RuleViolation)) throw error;
      counts.failed += 1;
    }
  }
  return counts;
}

/**
 * POST /rules/{id}/apply: up to `syncLimit` transactions in the range are changed now, in one DB
 * transaction (the counts answer); more become a background job (its progress at GET /rules/jobs/{id}).
 */
export async function applyRule(
  context: LedgerContext,
  userId: string,
  ruleId: string,
  range: DateRange,
  syncLimit: number,
): Promise<{ kind: 'done'; counts: ApplyCounts } | { kind: 'job'; job: RuleJob }> {
  const rule = await getRule(context, userId, ruleId);
  const total = await countInRange(context.dataSource.manager, userId, range);
  if (total > syncLimit)
    return {
      kind: 'job',
      job: await insertRuleJob(context.dataSource.manager, userId, rule.id, range, total, context.clock()),
    };
  const counts = await withRates(fxContextOf(context), (mayFetchRates) =>
    withUserSettings(context, userId, (settingsOf) =>
      context.dataSource.transaction(async (manager) => {
        await lockUserForWrite(manager, userId);
        const current = await findRule(manager, userId, rule.id);
        if (!current) return { examined: 0, changed: 0, failed: 0 };
        const set = await ruleSetOf(context, manager, current);
        const transactions = await transactionsInRange(manager, userId, range, null, syncLimit);
        return applyToTransactions(context, manager, settingsOf, set, transactions, mayFetchRates);
      }),
    ),
  );
  return { kind: 'done', counts };
}
