import {
  ApiRouter,
  awaitUserKnown,
  badRequest,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  localDate,
  notFound,
  pageSchema,
  paginationQuery,
  runIdempotently,
  sendIdempotentAnswer,
  storedIdempotentAnswer,
  toPage,
  type ServiceContext,
  creationCursorOf,
  creationPosition,
} from '@finance/shared';
import { z } from 'zod';
import type { GoalsConfig } from '../config';
import { findContribution, listContributions } from '../data/contribution-store';
import { findGoal } from '../data/goal-store';
import { findKnownTransaction } from '../data/ledger-read-model';
import {
  contributeManually,
  contributeTransaction,
  removeContribution,
  transactionNotFound,
  type Contributed,
} from '../use-cases/contributions';
import { presentContribution, presentGoal } from './present';
import {
  contributeBody,
  contributedSchema,
  contributionParams,
  contributionSchema,
  goalIdParams,
} from './schemas';

const tags = ['goals'];

/** The schema requires an amount without transaction_id; this keeps the type honest. */
function manualAmount(amount: string | undefined): string {
  if (amount === undefined)
    throw badRequest('The request body is invalid', [
      { field: 'body.amount', message: 'Required without transaction_id' },
    ]);
  return amount;
}

function presentContributed({ contribution, goal }: Contributed): z.output<typeof contributedSchema> {
  return { ...presentContribution(contribution, goal.currency), goal: presentGoal(goal) };
}

/** A goal's contributions: link a transaction or add money by hand (or take it out), list, read, remove. */
export function contributionsRouter(context: ServiceContext<GoalsConfig>): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const db = context.dataSource;
  const { readYourWrites, clock } = context;
  const limits = { maxContributionsPerGoal: context.config.MAX_CONTRIBUTIONS_PER_GOAL };

  async function hasStoredAnswer(request: { scope: string; userId: string; key: string | undefined }) {
    if (request.key === undefined) return false;
    const stored = await storedIdempotentAnswer(db.manager, { ...request, key: request.key });
    return stored !== undefined;
  }

  async function goalOf(userId: string, goalId: string) {
    const goal = await findGoal(db, userId, goalId);
    if (!goal) throw notFound('Goal');
    return goal;
  }

  api.post(
    '/goals/:id/contribute',
    {
      summary: 'Contribute to a goal: link a transaction of yours, or add (or withdraw) money by hand',
      description:
        'With transaction_id: that transaction of yours counts towards the goal — all of it (following its amount when ' +
        'the ledger changes it) or `amount` of it. What all your goals hold of one transaction never exceeds it (422 ' +
        'with `available`); one transaction contributes to a goal once (409). Without transaction_id: `amount` put ' +
        'aside outside the tracked accounts, dated `date` (default today), or taken out when negative (never more than ' +
        'the goal holds: 422). A cancelled goal takes no new money (409). With an `Idempotency-Key` header a retry ' +
        'with the same body gets the same answer and contributes nothing more (24 h); the same key with another body is a 422.',
      tags,
      params: goalIdParams,
      body: contributeBody,
      headers: idempotencyKeyHeader,
      responses: {
        201: {
          description: 'The contribution and the goal after it',
          schema: contributedSchema,
          headers: { Location: { description: '/goals/{id}/contributions/{contribution_id}' } },
        },
        404: { description: 'No such goal, or transaction_id is not one of your transactions' },
        409: { description: 'The goal is cancelled, or the transaction already contributes to it' },
        422: {
          description: 'More than is left of the transaction (or than the goal holds, for a withdrawal)',
        },
      },
    },
    async ({ params, body, user }, req, res) => {
      const transactionId = body.transaction_id;
      const request = {
        scope: `POST /goals/${params.id}/contribute`,
        userId: user.id,
        key: idempotencyKeyOf(req),
        body: req.body as unknown,
      };
      // A retry of an answered request is replayed as it was, even if the goal or the transaction went since.
      if (!(await hasStoredAnswer(request))) {
        await goalOf(user.id, params.id);
        if (transactionId !== undefined) {
          // A transaction created a moment ago in the ledger may still be on its way here: wait (bounded), holding no lock.
          const known = await readYourWrites.find(transactionId, () =>
            findKnownTransaction(db, user.id, transactionId),
          );
          if (!known) throw transactionNotFound();
        } else await awaitUserKnown(readYourWrites, db, user.id);
      }
      const answer = await runIdempotently(db, request, async (manager) => {
        const now = clock();
        const done =
          transactionId !== undefined
            ? await contributeTransaction(manager, {
                userId: user.id,
                goalId: params.id,
                transactionId,
                amount: body.amount,
                note: body.note,
                now,
                limits,
              })
            : await contributeManually(manager, {
                userId: user.id,
                goalId: params.id,
                amount: manualAmount(body.amount),
                date: body.date,
                note: body.note,
                today: (timezone) => localDate(now, timezone),
                now,
                limits,
              });
        return { status: 201, body: presentContributed(done) };
      });
      res.location(`/goals/${params.id}/contributions/${answer.body.id}`);
      sendIdempotentAnswer(res, answer);
    },
  );

  api.get(
    '/goals/:id/contributions',
    {
      summary: 'List a goal’s contributions (linked, manual and withdrawals)',
      tags,
      params: goalIdParams,
      query: z.object(paginationQuery),
      responses: {
        200: { description: 'A page, oldest first', schema: pageSchema(contributionSchema) },
        404: { description: 'No such goal of yours' },
      },
    },
    async ({ params, query, user }) => {
      const goal = await goalOf(user.id, params.id);
      const after = creationCursorOf(query.cursor);
      const rows = await listContributions(db, goal.id, {
        after,
        limit: query.limit,
      });
      return toPage(rows, query.limit, creationPosition, (c) => presentContribution(c, goal.currency));
    },
  );

  api.get(
    '/goals/:id/contributions/:contribution_id',
    {
      summary: 'One contribution',
      tags,
      params: contributionParams,
      responses: {
        200: { description: 'The contribution', schema: contributionSchema },
        404: { description: 'No such goal or contribution of yours' },
      },
    },
    async ({ params, user }) => {
      const goal = await goalOf(user.id, params.id);
      const contribution = await findContribution(db, goal.id, params.contribution_id);
      if (!contribution) throw notFound('Contribution');
      return presentContribution(contribution, goal.currency);
    },
  );

  api.delete(
    '/goals/:id/contributions/:contribution_id',
    {
      summary: 'Remove a contribution',
      description:
        'The goal is recomputed (back to active when it falls below its target); a linked transaction stays in the ' +
        'ledger. Removing money withdrawals were taken from, so the goal would hold less than zero, is a 409.',
      tags,
      params: contributionParams,
      responses: {
        204: { description: 'Removed' },
        404: { description: 'No such goal or contribution of yours' },
        409: { description: 'The goal would hold less than zero: remove withdrawals first' },
      },
    },
    async ({ params, user }) => {
      await db.transaction((manager) =>
        removeContribution(manager, {
          userId: user.id,
          goalId: params.id,
          contributionId: params.contribution_id,
          now: clock(),
        }),
      );
      return undefined;
    },
  );

  return api;
}
