import { z } from 'zod';
import { calendarDateSchema, decimalAmount, formatMinorUnits, paginationQuery } from '@finance/shared';
import type { Reconciliation } from '../data/entities';
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
