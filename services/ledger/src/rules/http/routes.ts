import {
  ApiRouter,
  decodeCursor,
  etagHeader,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  ifMatchHeader,
  pageSchema,
  runIdempotently,
  sendIdempotentAnswer,
  setETag,
  toPage,
  type ScheduledJob,
  type ServiceContext,
} from '@finance/shared';
import { RuleViolation } from '../../domain/problems';
import { MERGE_PATCH_DESCRIPTION, idParams, withETag } from '../../http/fields';
import { ifMatchOf, problemOf } from '../../http/use-case-calls';
import { ruleCursorAfter, ruleCursorSchema } from '../data/rules';
import { draftOf } from '../../http/transaction-schemas';
import { applyRule } from '../use-cases/rule-applications';
import { testRules } from '../use-cases/rule-tests';
import * as rules from '../use-cases/rules';
import { dismissSuggestion, listSuggestions, SUGGESTION_THRESHOLD } from '../use-cases/suggestions';
import { findRuleJob, type RuleJob } from '../data/rule-jobs';
import { missing } from '../../domain/problems';
import * as wire from './schemas';

/** Runs a rules use case; a violation names its field under `body.` as the rule's wire body does. */
async function callRules<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RuleViolation)
      throw problemOf(error, Object.fromEntries(error.problems.map((p) => [p.field, `body.${p.field}`])));
    throw error;
  }
}

const RULE_DESCRIPTION =
  'Conditions (all must hold, or any with `match: any`) on description, payee, notes (contains, starts_with, equals, regex; case-insensitive unless `case_sensitive`), ' +
  'amount (eq, lt, gt, between: exact decimals in the transaction’s currency), account_id, type, date (before, after, between). ' +
  'Actions: set_category, set_payee, add_tags, remove_tags, set_notes, set_description, mark_transfer, split (percentages or fixed amounts). ' +
  'Rules run in position order on every new transaction (POST /transactions, recurring occurrences, imports); a rule fills what a transaction leaves empty and never overrides what it has, except a description rename and tags.';

export function rulesRouter(
  context: ServiceContext,
  ruleJobs: ScheduledJob,
  options: { syncLimit: number },
): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const tags = ['rules'];

  api.post(
    '/rules',
    {
      summary: 'Create a rule',
      description: `${RULE_DESCRIPTION} Without \`position\` it goes last. With an \`Idempotency-Key\` header a retry creates nothing new (24 h).`,
      tags,
      body: wire.ruleBody,
      headers: idempotencyKeyHeader,
      responses: {
        201: { description: 'Created', schema: wire.ruleSchema, headers: etagHeader },
        400: { description: 'Invalid rule (e.g. an unsupported regex, percentages not making 100)' },
        404: { description: 'A category or account it names is not yours' },
        409: { description: `You have ${wire.MAX_RULES_PER_USER} rules already` },
        422: { description: 'Idempotency-Key reused with another body' },
      },
    },
    async ({ body, user }, req, res) => {
      const request = { scope: 'POST /rules', userId: user.id, key: idempotencyKeyOf(req), body: req.body };
      const answer = await callRules(() =>
        runIdempotently(context.dataSource, request, async (manager) => ({
          status: 201,
          body: wire.presentRule(
            await rules.createRule(
              context,
              manager,
              user.id,
              wire.ruleContentOf(body),
              body.position,
              wire.MAX_RULES_PER_USER,
            ),
          ),
        })),
      );
      setETag(res, answer.body.version);
      res.location(`/rules/${answer.body.id}`);
      sendIdempotentAnswer(res, answer);
    },
  );

  api.get(
    '/rules',
    {
      summary: 'List your rules',
      description: 'In the order they run (position, 0 first).',
      tags,
      query: wire.ruleListQuery,
      responses: { 200: { description: 'A page of rules', schema: pageSchema(wire.ruleSchema) } },
    },
    async ({ query, user }) => {
      const rows = await rules.listRulesPage(context, user.id, {
        after: query.cursor ? decodeCursor(query.cursor, ruleCursorSchema) : undefined,
        limit: query.limit,
      });
      return toPage(rows, query.limit, ruleCursorAfter, wire.presentRule);
    },
  );

  api.post(
    '/rules/test',
    {
      summary: 'Try rules without saving anything',
      description:
        'On a sample transaction (`transaction`, as POST /transactions takes it) or on your last N transactions (`last`), ' +
        'with an unsaved `rule` or, without one, your enabled rules in order: per transaction the fields rules change, before and after, and what each matching rule did.',
      tags,
      body: wire.ruleTestBody,
      responses: {
        200: { description: 'What would change', schema: wire.ruleTestResultSchema },
        400: { description: 'Invalid rule or transaction' },
        404: { description: 'A category or account the rule names is not yours' },
      },
    },
    async ({ body, user }) => {
      const results = await callRules(() =>
        testRules(context, user.id, {
          rule: body.rule && wire.ruleContentOf(body.rule),
          sample: body.transaction && draftOf(body.transaction),
          last: body.last,
        }),
      );
      return {
        results: results.map((r) => ({
          transaction_id: r.transactionId,
          matched: r.effects.length > 0,
          before: wire.ruledFields(r.before),
          after: wire.ruledFields(r.after),
          rules: r.effects.map(wire.presentEffect),
        })),
      };
    },
  );

  api.post(
    '/rules/:id/apply',
    {
      summary: 'Apply a rule to existing transactions',
      description:
        `The rule (enabled or not) on your transactions dated in [from, to] (open ends: all), changing them through the normal update path (new versions, ledger.transaction.updated). ` +
        `Up to ${options.syncLimit} transactions: done at once (200, counts). More: a background job (202, Location: /rules/jobs/{id}).`,
      tags,
      params: idParams,
      query: wire.applyQuery,
      responses: {
        200: { description: 'Applied', schema: wire.applyResultSchema },
        202: { description: 'A background job; follow Location', schema: wire.ruleJobSchema },
        404: { description: 'Rule not found' },
      },
    },
    async ({ params, query, user }, _req, res) => {
      const outcome = await callRules(() =>
        applyRule(
          context,
          user.id,
          params.id,
          { from: query.from ?? null, to: query.to ?? null },
          options.syncLimit,
        ),
      );
      if (outcome.kind === 'done') return outcome.counts;
      void ruleJobs.runNow();
      res.status(202).location(`/rules/jobs/${outcome.job.id}`).json(presentJob(outcome.job));
      return undefined;
    },
  );

  api.get(
    '/rules/jobs/:id',
    {
      summary: 'Progress of a background rule application',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The job', schema: wire.ruleJobSchema },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }) => {
      const job = await callRules(async () => {
        const found = await findRuleJob(context.dataSource.manager, user.id, params.id);
        if (!found) throw missing('Rule job');
        return found;
      });
      return presentJob(job);
    },
  );

  api.get(
    '/rules/suggestions',
    {
      summary: 'Rules learned from your re-categorisations',
      description:
        `When you re-categorised at least ${SUGGESTION_THRESHOLD} transactions of the same payee (or, without one, the same description; compared normalised) to the same category, ` +
        'and none of your enabled rules would categorise such a transaction, a rule is offered (never applied): its condition, action, how many examples, and a body ready to POST /rules.',
      tags,
      responses: {
        200: { description: 'Suggestions, most examples first', schema: wire.suggestionListSchema },
      },
    },
    async ({ user }) => ({
      data: (await listSuggestions(context, user.id)).map((s) => {
        const rule = wire.wireRuleContent(s.rule);
        return {
          id: s.id,
          condition: rule.conditions[0],
          action: rule.actions[0],
          example_count: s.group.examples,
          rule,
        };
      }),
    }),
  );

  api.delete(
    '/rules/suggestions/:id',
    {
      summary: 'Dismiss a suggestion',
      description: 'It is not offered again.',
      tags,
      params: wire.suggestionParams,
      responses: { 204: { description: 'Dismissed' }, 404: { description: 'No such suggestion' } },
    },
    async ({ params, user }) => {
      await callRules(() => dismissSuggestion(context, user.id, params.id));
      return undefined;
    },
  );

  return api;
}

function presentJob(job: RuleJob) {
  return {
    id: job.id,
    rule_id: job.ruleId,
    status: job.status,
    from: job.range.from,
    to: job.range.to,
    total: job.total,
    examined: job.examined,
    changed: job.changed,
    failed: job.failed,
    failure: job.failure,
    created_at: job.createdAt.toISOString(),
    finished_at: job.finishedAt?.toISOString() ?? null,
  };
}

/** GET, PUT, PATCH, DELETE /rules/{id}: after the routes under /rules/ with fixed names. */
export function ruleRouter(context: ServiceContext): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const tags = ['rules'];
  const changed = {
    200: { description: 'Updated', schema: wire.ruleSchema, headers: etagHeader },
    400: { description: 'Invalid rule (e.g. an unsupported regex, percentages not making 100)' },
    404: { description: 'Not found (or a category or account it names is not yours)' },
    412: { description: 'Stale If-Match' },
  };

  api.get(
    '/rules/:id',
    {
      summary: 'Get a rule',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The rule', schema: wire.ruleSchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => {
      const rule = await callRules(() => rules.getRule(context, user.id, params.id));
      return withETag(res, wire.presentRule(rule));
    },
  );

  api.put(
    '/rules/:id',
    {
      summary: 'Replace a rule',
      description: `${RULE_DESCRIPTION} Omitted optional fields take their defaults; with \`position\` the rule moves there.`,
      tags,
      params: idParams,
      body: wire.ruleBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, body, user }, req, res) => {
      const rule = await callRules(() =>
        rules.changeRule(
          context,
          user.id,
          params.id,
          ifMatchOf(req),
          () => wire.ruleContentOf(body),
          body.position,
        ),
      );
      return withETag(res, wire.presentRule(rule));
    },
  );

  api.patch(
    '/rules/:id',
    {
      summary: 'Change some fields of a rule, or move it',
      description: `${MERGE_PATCH_DESCRIPTION} \`position\` moves the rule in your order (the others shift).`,
      tags,
      params: idParams,
      body: wire.rulePatchBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, body, user }, req, res) => {
      const patch = wire.rulePatchOf(body);
      const rule = await callRules(() =>
        rules.changeRule(
          context,
          user.id,
          params.id,
          ifMatchOf(req),
          (current) => (Object.keys(patch).length === 0 ? undefined : { ...current, ...patch }),
          body.position,
        ),
      );
      return withETag(res, wire.presentRule(rule));
    },
  );

  api.delete(
    '/rules/:id',
    {
      summary: 'Delete a rule',
      tags,
      params: idParams,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'Not found' },
        412: { description: 'Stale If-Match' },
      },
    },
    async ({ params, user }, req) => {
      await callRules(() => rules.deleteRule(context, user.id, params.id, ifMatchOf(req)));
      return undefined;
    },
  );

  return api;
}
