import type { TransactionDraft } from '../../domain/transactions';
import type { LedgerContext } from '../../use-cases/context';
import { draftOfStored } from '../../use-cases/transactions';
import type { RuleContent } from '../data/rules';
import { lastTransactions } from '../data/rule-jobs';
import type { RuleEffect } from '../domain/engine';
import { checkReferences } from './rules';
import { loadRuleSet, runRuleSet } from './rule-runs';

export interface RuleTestRequest {
  /** An unsaved rule; undefined: the user's enabled rules in order. */
  rule?: RuleContent;
  sample?: TransactionDraft;
  last?: number;
}

export interface RuleTestResult {
  transactionId: string | null;
  before: TransactionDraft;
  after: TransactionDraft;
  effects: RuleEffect[];
}

/**
 * What rules would do, saving nothing: to a sample draft (as POST /transactions would see it) or
 * to the user's last N transactions (as an apply would change them).
 */
export async function testRules(
  context: LedgerContext,
  userId: string,
  request: RuleTestRequest,
): Promise<RuleTestResult[]> {
  const { manager } = context.dataSource;
  if (request.rule) await checkReferences(manager, userId, request.rule);
  const set = await loadRuleSet(
    context,
    manager,
    userId,
    request.rule ? [{ ...request.rule, id: '' }] : undefined, // '': the unsaved rule (null on the wire)
  );
  if (request.sample) {
    const { draft, effects } = runRuleSet(set, request.sample);
    return [{ transactionId: null, before: request.sample, after: draft, effects }];
  }
  return (await lastTransactions(manager, userId, request.last ?? 0)).map((t) => {
    const before: TransactionDraft = draftOfStored(t);
    const { draft, effects } = runRuleSet(set, before);
    return { transactionId: t.id, before, after: draft, effects };
  });
}
