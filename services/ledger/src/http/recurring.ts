import {
  ApiRouter,
  creationCursorOf,
  creationPosition,
  decodeCursor,
  etagHeader,
  ifMatchHeader,
  localDate,
  pageSchema,
  toPage,
  userSettingsOf,
  type ServiceContext,
} from '@finance/shared';
import * as recurring from '../use-cases/recurring';
import { MERGE_PATCH_DESCRIPTION, idParams, withETag } from './fields';
import * as wire from './recurring-schemas';
import { presentTransaction, transactionSchema } from './transaction-schemas';
import { callUseCase, ifMatchOf } from './use-case-calls';

/** Recurring templates, their occurrences, approvals and manual processing. */
export function recurringRouter(context: ServiceContext): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const tags = ['recurring'];
  const changed = {
    200: { description: 'Updated', schema: wire.templateSchema, headers: etagHeader },
    400: { description: 'Invalid input' },
    404: { description: 'Not found (or a referenced id is not yours)' },
    409: { description: 'The account is archived' },
    412: { description: 'Stale If-Match' },
    422: { description: 'Currency or category kind does not fit' },
  };
  const booked = {
    201: { description: 'The booked transaction', schema: transactionSchema, headers: etagHeader },
    404: { description: 'Not found' },
    409: {
      description: 'Already booked (the answer names the transaction), inactive, ended, or archived account',
    },
    422: { description: 'Not a date of the series, or the booking does not fit' },
  };
  /** Today in the caller's zone (a start_date left out). */
  const todayOf = async (userId: string) =>
    localDate(context.clock(), (await userSettingsOf(context.dataSource, userId)).timezone);

  api.post(
    '/recurring',
    {
      summary: 'Create a recurring template',
      description:
        'Each occurrence books the transaction described (same fields and rules as POST /transactions) on its date. ' +
        'Monthly and yearly series keep their anchor day (the 31st → Feb 28/29, Apr 30, then the 31st again). ' +
        'A past start_date books past occurrences only with `backfill: true`; otherwise the series starts at its first date on or after today.',
      tags,
      body: wire.newTemplateBody,
      responses: {
        201: { description: 'Created', schema: wire.templateSchema, headers: etagHeader },
        400: { description: 'Invalid input' },
        404: { description: 'account_id / to_account_id / category_id is not yours' },
        409: { description: 'The account is archived' },
        422: { description: 'Currency or category kind does not fit' },
      },
    },
    async ({ body, user }, _req, res) => {
      const today = await todayOf(user.id);
      const template = await callUseCase(wire.RECURRING_BODY_PATHS, () =>
        recurring.createTemplate(
          context,
          user.id,
          { ...wire.templateDraftOf(body), startDate: body.start_date ?? today },
          body.backfill,
        ),
      );
      res.location(`/recurring/${template.id}`);
      return withETag(res, wire.presentTemplate(template));
    },
  );

  api.get(
    '/recurring',
    {
      summary: 'List your recurring templates',
      description: 'Oldest first, keyset-paginated; `?is_active=true|false` filters.',
      tags,
      query: wire.templateListQuery,
      responses: { 200: { description: 'A page of templates', schema: pageSchema(wire.templateSchema) } },
    },
    async ({ query, user }) => {
      const rows = await recurring.listTemplatesPage(context, user.id, {
        isActive: query.is_active === undefined ? undefined : query.is_active === 'true',
        after: creationCursorOf(query.cursor),
        limit: query.limit,
      });
      return toPage(rows, query.limit, creationPosition, wire.presentTemplate);
    },
  );

  api.get(
    '/recurring/due',
    {
      summary: 'Occurrences awaiting your approval',
      description:
        'Every due occurrence of a template with auto_create false (status pending), and any whose booking was refused (status failed, with the reason), oldest first. Approve or skip them.',
      tags,
      query: wire.dueQuery,
      responses: {
        200: { description: 'A page of due occurrences', schema: pageSchema(wire.dueOccurrenceSchema) },
      },
    },
    async ({ query, user }) => {
      const after = query.cursor ? decodeCursor(query.cursor, wire.dueCursorSchema) : undefined;
      const rows = await recurring.listDuePage(context, user.id, after, query.limit);
      return toPage(rows, query.limit, wire.duePosition, wire.presentDue);
    },
  );

  api.get(
    '/recurring/:id',
    {
      summary: 'Get a recurring template',
      tags,
      params: idParams,
      responses: {
        200: { description: 'The template', schema: wire.templateSchema, headers: etagHeader },
        404: { description: 'Not found' },
      },
    },
    async ({ params, user }, _req, res) => {
      const template = await callUseCase({}, () => recurring.getTemplate(context, user.id, params.id));
      return withETag(res, wire.presentTemplate(template));
    },
  );

  api.put(
    '/recurring/:id',
    {
      summary: 'Replace a recurring template',
      description:
        'Every field replaced (omitted optional ones reset; without account_id it stays on its account). The series goes on from its next date under the new rule; a date already handled is never booked again (its occurrence record is stepped over).',
      tags,
      params: idParams,
      body: wire.templateReplacementBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, body, user }, req, res) => {
      const template = await callUseCase(wire.RECURRING_BODY_PATHS, () =>
        recurring.replaceTemplate(context, user.id, params.id, wire.templateDraftOf(body), ifMatchOf(req)),
      );
      return withETag(res, wire.presentTemplate(template));
    },
  );

  api.patch(
    '/recurring/:id',
    {
      summary: 'Change some fields of a recurring template',
      description: `${MERGE_PATCH_DESCRIPTION} \`{"is_active": false}\` pauses the series; reactivating it starts again at today (what fell meanwhile is not booked).`,
      tags,
      params: idParams,
      body: wire.templatePatchBody,
      headers: ifMatchHeader,
      responses: changed,
    },
    async ({ params, body, user }, req, res) => {
      const template = await callUseCase(wire.RECURRING_BODY_PATHS, () =>
        recurring.patchTemplate(context, user.id, params.id, wire.templatePatchOf(body), ifMatchOf(req)),
      );
      return withETag(res, wire.presentTemplate(template));
    },
  );

  api.delete(
    '/recurring/:id',
    {
      summary: 'Deactivate (or remove) a recurring template',
      description:
        'Sets is_active false and keeps the template and its history. `?hard=true` removes the template and its occurrence records; the transactions it booked always stay.',
      tags,
      params: idParams,
      query: wire.deleteQuery,
      headers: ifMatchHeader,
      responses: {
        204: { description: 'Deactivated or removed' },
        404: { description: 'Not found' },
        412: { description: 'Stale If-Match' },
      },
    },
    async ({ params, query, user }, req) => {
      await callUseCase({}, () =>
        recurring.deleteTemplate(context, user.id, params.id, query.hard === 'true', ifMatchOf(req)),
      );
      return undefined;
    },
  );

  api.get(
    '/recurring/:id/occurrences',
    {
      summary: 'Preview the next dates of a series',
      description:
        'The next `count` dates (default 12) from the next occurrence on; none for an inactive or ended series.',
      tags,
      params: idParams,
      query: wire.previewQuery,
      responses: {
        200: { description: 'The next dates', schema: wire.previewSchema },
        404: { description: 'Not found' },
      },
    },
    async ({ params, query, user }) => {
      const dates = await callUseCase({}, () =>
        recurring.previewOccurrences(context, user.id, params.id, query.count),
      );
      return wire.presentPreview(dates);
    },
  );

  api.post(
    '/recurring/:id/occurrences/:date/approve',
    {
      summary: 'Approve an occurrence awaiting approval',
      description:
        'Books the occurrence (status pending, or failed once the reason is fixed), optionally with another `amount`. Answers the transaction, with its Location.',
      tags,
      params: wire.occurrenceParams,
      body: wire.approveBody,
      responses: booked,
    },
    async ({ params, body, user }, _req, res) => {
      const result = await callUseCase(wire.OCCURRENCE_PATHS, () =>
        recurring.approveOccurrence(context, user.id, params.id, params.date, body.amount),
      );
      res.location(`/transactions/${result.transaction.id}`);
      return withETag(res, presentTransaction(result.transaction));
    },
  );

  api.post(
    '/recurring/:id/occurrences/:date/skip',
    {
      summary: 'Skip an occurrence',
      description:
        'One awaiting approval, or a date still ahead (the scheduler then steps over it). Recorded; the series goes on. Skipping twice is one skip.',
      tags,
      params: wire.occurrenceParams,
      responses: {
        200: { description: 'The skipped occurrence', schema: wire.occurrenceSchema },
        404: { description: 'Not found' },
        409: { description: 'Already booked' },
        422: { description: 'Not a date of the series' },
      },
    },
    async ({ params, user }) => {
      const occurrence = await callUseCase(wire.OCCURRENCE_PATHS, () =>
        recurring.skipOccurrence(context, user.id, params.id, params.date),
      );
      return wire.presentOccurrence(occurrence);
    },
  );

  api.post(
    '/recurring/:id/process',
    {
      summary: 'Book the next occurrence now',
      description:
        'Books the next occurrence now, due or not (or the one on `date`), exactly once: a date already booked answers 409 naming its transaction. An inactive template: 409.',
      tags,
      params: idParams,
      body: wire.processBody,
      responses: booked,
    },
    async ({ params, body, user }, _req, res) => {
      const result = await callUseCase(
        { ...wire.OCCURRENCE_PATHS, occurrenceDate: 'body.date', date: 'body.date' },
        () => recurring.processTemplate(context, user.id, params.id, body.date),
      );
      res.location(`/transactions/${result.transaction.id}`);
      return withETag(res, presentTransaction(result.transaction));
    },
  );

  return api;
}
