import {
  ApiRouter,
  HttpProblem,
  creationCursorOf,
  creationPosition,
  formatMinorUnits,
  idempotencyKeyHeader,
  idempotencyKeyOf,
  pageSchema,
  runIdempotently,
  sendIdempotentAnswer,
  toPage,
  type ServiceContext,
} from '@finance/shared';
import { idParams } from '../../http/fields';
import { presentTransaction } from '../../http/transaction-schemas';
import { callUseCase } from '../../http/use-case-calls';
import { transactionAuditPage } from '../use-cases/locked-transactions';
import { StatementMismatch, listAccountReconciliations, reconcileAccount } from '../use-cases/reconcile';
import * as wire from './schemas';

/** A statement that does not match: 409 with the exact difference and the uncleared candidates. */
function mismatchProblem(m: StatementMismatch): HttpProblem {
  const money = (minor: bigint) => formatMinorUnits(minor, m.account.currency);
  const difference = money(m.differenceMinor);
  return new HttpProblem(
    409,
    `The statement balance ${money(m.statement.balanceMinor)} differs from the cleared balance ${money(m.clearedBalanceMinor)} on ${m.statement.date} by ${difference} ${m.account.currency}; nothing was reconciled. Mark the transactions the statement shows as cleared (PATCH /transactions/{id} {"cleared": "cleared"}) and try again.`,
    {
      errors: [
        { field: 'body.statement_balance', message: `Differs from the cleared balance by ${difference}` },
      ],
      extensions: {
        statement_balance: money(m.statement.balanceMinor),
        statement_date: m.statement.date,
        cleared_balance: money(m.clearedBalanceMinor),
        difference,
        currency: m.account.currency,
        candidates: m.candidates.map(presentTransaction),
        candidates_total: m.candidatesTotal,
      },
    },
  );
}

export function reconciliationRouter(context: ServiceContext): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });

  api.post(
    '/accounts/:id/reconcile',
    {
      summary: 'Reconcile an account against a bank statement',
      description:
        "The cleared balance (opening balance + the cleared and reconciled transactions dated on or before statement_date, signed as the account's balance) must equal statement_balance exactly. " +
        'Then the cleared ones become reconciled (locked: see PUT /transactions/{id}) and the reconciliation is recorded. ' +
        'Otherwise 409 with the difference (statement − cleared) and the uncleared transactions up to that date (at most 100, `candidates_total` counts them all); nothing changes. ' +
        'Honours `Idempotency-Key` like POST /transactions.',
      tags: ['accounts'],
      params: idParams,
      body: wire.reconcileBody,
      headers: idempotencyKeyHeader,
      responses: {
        200: { description: 'Reconciled', schema: wire.reconciliationSchema },
        400: { description: 'Invalid input (e.g. more decimals than the currency has)' },
        404: { description: 'Not found' },
        409: {
          description:
            'The statement balance differs: `difference`, `cleared_balance`, `candidates`, `candidates_total` in the problem',
        },
        422: { description: 'Idempotency-Key reused with another body' },
      },
    },
    async ({ params, body, user }, req, res) => {
      const request = {
        scope: `POST /accounts/${params.id}/reconcile`,
        userId: user.id,
        key: idempotencyKeyOf(req),
        body: req.body,
      };
      try {
        const answer = await callUseCase(wire.RECONCILE_PATHS, () =>
          reconcileAccount(context, user.id, params.id, wire.statementOf(body), (work) =>
            runIdempotently(context.dataSource, request, async (manager) => ({
              status: 200,
              body: wire.presentReconciliation(await work(manager)),
            })),
          ),
        );
        sendIdempotentAnswer(res, answer);
      } catch (error) {
        if (error instanceof StatementMismatch) throw mismatchProblem(error);
        throw error;
      }
    },
  );

  api.get(
    '/accounts/:id/reconciliations',
    {
      summary: "An account's reconciliations, oldest first",
      tags: ['accounts'],
      params: idParams,
      query: wire.pageQuery,
      responses: {
        200: { description: 'A page of reconciliations', schema: pageSchema(wire.reconciliationSchema) },
        404: { description: 'Not found' },
      },
    },
    async ({ params, query, user }) => {
      const rows = await callUseCase({}, () =>
        listAccountReconciliations(context, user.id, params.id, {
          after: creationCursorOf(query.cursor),
          limit: query.limit,
        }),
      );
      return toPage(rows, query.limit, creationPosition, wire.presentReconciliation);
    },
  );

  api.get(
    '/transactions/:id/audit',
    {
      summary: 'Forced changes of a reconciled transaction, oldest first',
      description:
        'Each entry: who forced it, when, the locked fields that changed and all locked fields before and after (after is null for a deletion). Readable after a forced deletion too.',
      tags: ['transactions'],
      params: idParams,
      query: wire.pageQuery,
      responses: {
        200: { description: 'A page of audit entries', schema: pageSchema(wire.auditEntrySchema) },
        404: { description: 'Not found' },
      },
    },
    async ({ params, query, user }) => {
      const rows = await callUseCase({}, () =>
        transactionAuditPage(context, user.id, params.id, {
          after: creationCursorOf(query.cursor),
          limit: query.limit,
        }),
      );
      return toPage(rows, query.limit, creationPosition, wire.presentAuditEntry);
    },
  );

  return api;
}
