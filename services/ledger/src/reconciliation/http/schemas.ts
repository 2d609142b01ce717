import { z } from 'zod';
import { calendarDateSchema, decimalAmount, formatMinorUnits, paginationQuery } from '@finance/shared';
import type { TransactionAudit, Reconciliation } from '../data/entities';
import type { LockedField, LockedState } from '../domain/reconciliation';
import type { Statement, StatementField } from '../use-cases/reconcile';
import type { WirePaths } from '../../http/use-case-calls';

export const reconcileBody = z.object({
  statement_balance: decimalAmount.meta({
    description:
      "The bank statement's closing balance, a decimal string in the account's currency (may be negative)",
    example: '1234.56',
  }),
  statement_date: calendarDateSchema.meta({
    description: "The statement's date: transactions dated on or before it are compared",
    example: '2026-01-31',
  }),
});

export const RECONCILE_PATHS = {
  statementBalance: 'body.statement_balance',
} satisfies WirePaths<StatementField>;

export function statementOf(body: z.output<typeof reconcileBody>): Statement {
  return { balance: body.statement_balance, date: body.statement_date };
}

/** `?force=true` on PUT, PATCH and DELETE /transactions/{id}: change a reconciled transaction anyway (audited). */
export const forceQuery = z.object({
  force: z.enum(['true', 'false']).optional().meta({
    description:
      'true: change or delete a reconciled transaction even where its amount, currency, date, accounts, type or status are locked; the change is audited (GET /transactions/{id}/audit)',
  }),
});

export const pageQuery = z.object({ ...paginationQuery });

export const reconciliationSchema = z
  .object({
    id: z.uuid(),
    account_id: z.uuid(),
    statement_date: z.string().meta({ example: '2026-01-31' }),
    statement_balance: z
      .string()
      .meta({ description: 'Equal to the cleared balance of that day', example: '1234.56' }),
    currency: z.string().meta({ example: 'EUR' }),
    transaction_count: z.number().int().meta({
      description: 'Transactions this reconciliation turned from cleared to reconciled',
      example: 12,
    }),
    created_at: z.string().meta({ example: '2026-02-01T09:00:00.000Z' }),
  })
  .meta({ id: 'Reconciliation' });

export function presentReconciliation(r: Reconciliation) {
  return {
    id: r.id,
    account_id: r.accountId,
    statement_date: r.statementDate,
    statement_balance: formatMinorUnits(r.statementBalanceMinor, r.currency),
    currency: r.currency,
    transaction_count: r.transactionCount,
    created_at: r.createdAt.toISOString(),
  };
}

/** The locked fields by their wire names (what the audit shows and a 409 names). */
export const LOCKED_FIELD_WIRE_NAMES = {
  amount: 'amount',
  currency: 'currency',
  date: 'date',
  accountId: 'account_id',
  toAccountId: 'to_account_id',
  type: 'transaction_type',
  cleared: 'cleared',
} satisfies WirePaths<LockedField>;

const lockedStateSchema = z
  .object(
    Object.fromEntries(Object.values(LOCKED_FIELD_WIRE_NAMES).map((name) => [name, z.string().nullable()])),
  )
  .meta({
    id: 'LockedFields',
    description: 'amount, currency, date, account_id, to_account_id, transaction_type, cleared',
  });

function presentLockedState(state: LockedState) {
  return Object.fromEntries(
    (Object.keys(LOCKED_FIELD_WIRE_NAMES) as LockedField[]).map((field) => [
      LOCKED_FIELD_WIRE_NAMES[field],
      state[field],
    ]),
  );
}

export const auditEntrySchema = z
  .object({
    id: z.uuid(),
    transaction_id: z.uuid(),
    actor_id: z.uuid().meta({ description: 'Who forced the change' }),
    action: z.enum(['updated', 'deleted']),
    changed: z.array(z.string()).meta({ description: 'The locked fields that changed', example: ['amount'] }),
    before: lockedStateSchema,
    after: lockedStateSchema.nullable().meta({ description: 'null for a deletion' }),
    created_at: z.string().meta({ example: '2026-02-03T10:00:00.000Z' }),
  })
  .meta({ id: 'TransactionAuditEntry' });

export function presentAuditEntry(a: TransactionAudit) {
  return {
    id: a.id,
    transaction_id: a.transactionId,
    actor_id: a.actorId,
    action: a.action,
    changed: a.changed.map((field) => LOCKED_FIELD_WIRE_NAMES[field]),
    before: presentLockedState(a.before),
    after: a.after && presentLockedState(a.after),
    created_at: a.createdAt.toISOString(),
  };
}
