import {
  ApiRouter,
  awaitUserKnown,
  etagHeader,
  formatMinorUnits,
  ifMatchHeader,
  notFound,
  pageSchema,
  setETag,
  toPage,
  userSettingsOf,
  type ServiceContext,
  creationCursorOf,
  creationPosition,
} from '@finance/shared';
import type { GoalsConfig } from '../config';
import { findGoal, listGoals } from '../data/goal-store';
import { chosenStatusOf } from '../use-cases/goal-state';
import { checkAccount, createGoal, removeGoal, reviseGoal, type GoalDraft } from '../use-cases/goals';
import { progressOfGoal, progressSeriesOfGoal } from '../use-cases/progress';
import { presentGoal, presentGoalDetail, presentSeries } from './present';
import {
  createGoalBody,
  goalDetailSchema,
  goalIdParams,
  goalSchema,
  listGoalsQuery,
  patchGoalBody,
  progressQuery,
  progressSeriesSchema,
  replaceGoalBody,
} from './schemas';

const tags = ['goals'];

/** Goals: create, list, read with progress, replace, merge-patch, delete; progress over time. */
export function goalsRouter(context: ServiceContext<GoalsConfig>): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const db = context.dataSource;
  const { readYourWrites, clock } = context;

  api.post(
    '/goals',
    {
      summary: 'Create a savings goal',
      description:
        'In your base currency (fixed at creation). current_amount starts at 0 and only contributions change it; ' +
        'status starts active.',
      tags,
      body: createGoalBody,
      responses: {
        201: {
          description: 'The goal',
          schema: goalSchema,
          headers: { ...etagHeader, Location: { description: 'The goal’s URL, /goals/{id}' } },
        },
        404: { description: 'account_id is not one of your accounts' },
        409: { description: 'You hold the most goals one user may (MAX_GOALS_PER_USER)' },
      },
    },
    async ({ body, user }, _req, res) => {
      // A user who registered a moment ago: their base currency may still be on its way here.
      await awaitUserKnown(readYourWrites, db, user.id);
      await checkAccount(readYourWrites, db, user.id, body.account_id);
      const goal = await db.transaction((manager) =>
        createGoal(manager, {
          userId: user.id,
          draft: {
            name: body.name,
            targetAmount: body.target_amount,
            deadline: body.deadline,
            accountId: body.account_id,
            notes: body.notes,
          },
          maxGoals: context.config.MAX_GOALS_PER_USER,
          now: clock(),
        }),
      );
      setETag(res, goal.version);
      res.location(`/goals/${goal.id}`);
      return presentGoal(goal);
    },
  );

  api.get(
    '/goals',
    {
      summary: 'List your goals',
      tags,
      query: listGoalsQuery,
      responses: { 200: { description: 'A page of goals, oldest first', schema: pageSchema(goalSchema) } },
    },
    async ({ query, user }) => {
      const after = creationCursorOf(query.cursor);
      const rows = await listGoals(db, user.id, {
        status: query.status,
        after,
        limit: query.limit,
      });
      return toPage(rows, query.limit, creationPosition, presentGoal);
    },
  );

  api.get(
    '/goals/:id',
    {
      summary: 'A goal with its progress: how far, at what pace, whether it will be reached in time',
      description:
        'percent and remaining; the pace of the last 90 days and the day the target is reached at it; with a ' +
        'deadline, what to save per month and per week from today to reach it and whether the pace is enough.',
      tags,
      params: goalIdParams,
      responses: {
        200: { description: 'The goal and its progress', schema: goalDetailSchema, headers: etagHeader },
        404: { description: 'No such goal of yours' },
      },
    },
    async ({ params, user }, _req, res) => {
      const goal = await findGoal(db, user.id, params.id);
      if (!goal) throw notFound('Goal');
      const { timezone } = await userSettingsOf(db, user.id);
      const { today, progress } = await progressOfGoal(db, goal, { timezone, now: clock() });
      setETag(res, goal.version);
      return presentGoalDetail(goal, today, progress);
    },
  );

  const changeResponses = {
    200: { description: 'The goal', schema: goalSchema, headers: etagHeader },
    404: { description: 'No such goal or account of yours' },
    412: { description: 'Stale If-Match: the goal changed since you read it' },
  };

  api.put(
    '/goals/:id',
    {
      summary: 'Replace a goal',
      description:
        'Omitted optional fields reset: deadline, account_id and notes to null, status to active. A new target ' +
        'recomputes the status (completed when reached) and may announce a milestone. Unchanged fields keep the version.',
      tags,
      params: goalIdParams,
      body: replaceGoalBody,
      headers: ifMatchHeader,
      responses: changeResponses,
    },
    async ({ params, body, user }, req, res) => {
      await checkAccount(readYourWrites, db, user.id, body.account_id);
      const draft: GoalDraft = {
        name: body.name,
        targetAmount: body.target_amount,
        deadline: body.deadline,
        accountId: body.account_id,
        notes: body.notes,
        status: body.status,
      };
      const goal = await db.transaction((manager) =>
        reviseGoal(manager, { userId: user.id, goalId: params.id, req, merge: () => draft, now: clock() }),
      );
      setETag(res, goal.version);
      return presentGoal(goal);
    },
  );

  api.patch(
    '/goals/:id',
    {
      summary: 'Change some fields of a goal',
      description:
        'JSON merge patch: only the given fields change; null clears deadline, account_id or notes; null for another ' +
        'field is a 400. {"status": "cancelled"} cancels it, {"status": "active"} takes it up again.',
      tags,
      params: goalIdParams,
      body: patchGoalBody,
      headers: ifMatchHeader,
      responses: changeResponses,
    },
    async ({ params, body, user }, req, res) => {
      await checkAccount(readYourWrites, db, user.id, body.account_id);
      const goal = await db.transaction((manager) =>
        reviseGoal(manager, {
          userId: user.id,
          goalId: params.id,
          req,
          merge: (existing) => ({
            name: body.name ?? existing.name,
            targetAmount: body.target_amount ?? formatMinorUnits(existing.targetMinor, existing.currency),
            deadline: body.deadline === undefined ? existing.deadline : body.deadline,
            accountId: body.account_id === undefined ? existing.accountId : body.account_id,
            notes: body.notes === undefined ? existing.notes : body.notes,
            status: body.status ?? chosenStatusOf(existing),
          }),
          now: clock(),
        }),
      );
      setETag(res, goal.version);
      return presentGoal(goal);
    },
  );

  api.delete(
    '/goals/:id',
    {
      summary: 'Delete a goal and its contributions',
      description: 'The linked transactions stay in the ledger.',
      tags,
      params: goalIdParams,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deleted' },
        404: { description: 'No such goal of yours' },
        412: { description: 'Stale If-Match: the goal changed since you read it' },
      },
    },
    async ({ params, user }, req) => {
      await db.transaction((manager) =>
        removeGoal(manager, { userId: user.id, goalId: params.id, req, now: clock() }),
      );
      return undefined;
    },
  );

  api.get(
    '/goals/:id/progress',
    {
      summary: 'The goal’s progress over time: the cumulative amount per week or month, beside the target',
      description:
        'Zero-filled: a period without contributions carries the amount before it. Periods are clipped to [from, to]; ' +
        'at most 1000 of them (a default from moves forward to fit; a given one beyond that is a 400).',
      tags,
      params: goalIdParams,
      query: progressQuery,
      responses: {
        200: { description: 'The series', schema: progressSeriesSchema },
        400: { description: 'to before from, or more than 1000 periods' },
        404: { description: 'No such goal of yours' },
      },
    },
    async ({ params, query, user }) => {
      const goal = await findGoal(db, user.id, params.id);
      if (!goal) throw notFound('Goal');
      const { timezone } = await userSettingsOf(db, user.id);
      const { range, points } = await progressSeriesOfGoal(db, goal, { ...query, timezone, now: clock() });
      return presentSeries(goal, query.granularity, range, points);
    },
  );

  return api;
}
