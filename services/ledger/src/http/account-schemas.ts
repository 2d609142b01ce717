import { z } from 'zod';
import {
  accountTypes,
  currencyCode,
  decimalAmount,
  formatMinorUnits,
  paginationQuery,
  singleLineText,
} from '@finance/shared';
import type { AccountField, AccountReplacement, AccountState } from '../domain/accounts';
import type { MergePatch } from '../domain/merge-patch';
import type { AccountWithBalance, NewAccount } from '../use-cases/accounts';
import { timestamps } from './fields';
import type { WirePaths } from './use-case-calls';

const field = {
  name: singleLineText({ max: 100 }).meta({ example: 'Everyday checking' }),
  type: z.enum(accountTypes).meta({ description: 'Kind of account', example: 'checking' }),
  currency: currencyCode.meta({ description: 'ISO 4217 code', example: 'EUR' }),
  opening_balance: decimalAmount.meta({
    description: 'Balance before the first transaction; may be negative (loans, credit cards)',
    example: '250.00',
  }),
  archived: z.boolean().meta({ description: 'Archived accounts take no new transactions' }),
};

export const newAccountBody = z.object({
  name: field.name,
  type: field.type,
  currency: field.currency.optional().meta({ description: 'Defaults to your base currency' }),
  opening_balance: field.opening_balance.default('0'),
  archived: field.archived.default(false),
});

/** PUT: currency and opening_balance are money history, so leaving them out keeps them. */
export const accountReplacementBody = z.object({
  name: field.name,
  type: field.type,
  currency: field.currency.optional().meta({
    description: 'Omitted → unchanged; can change only while the account has no transactions',
  }),
  opening_balance: field.opening_balance.optional().meta({
    description: 'Omitted → unchanged (never reset to 0); state it to restate the opening balance',
  }),
  archived: field.archived.default(false),
});

export const accountPatchBody = z.object({
  name: field.name.optional(),
  type: field.type.optional(),
  currency: field.currency.optional(),
  opening_balance: field.opening_balance.optional(),
  archived: field.archived.optional(),
});

export const accountListQuery = z.object({
  ...paginationQuery,
  archived: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'Only archived (true) or only active (false)' }),
});

export const ACCOUNT_BODY_PATHS = {
  name: 'body.name',
  type: 'body.type',
  currency: 'body.currency',
  openingBalance: 'body.opening_balance',
  archived: 'body.archived',
} satisfies WirePaths<AccountField>;

export function newAccountOf(body: z.output<typeof newAccountBody>): NewAccount {
  const { opening_balance: openingBalance, ...rest } = body;
  return { ...rest, openingBalance };
}

export function accountReplacementOf(body: z.output<typeof accountReplacementBody>): AccountReplacement {
  const { opening_balance: openingBalance, ...rest } = body;
  return { ...rest, openingBalance };
}

export function accountPatchOf(body: z.output<typeof accountPatchBody>): MergePatch<AccountState> {
  const { opening_balance: openingBalance, ...rest } = body;
  return { ...rest, openingBalance };
}

export const accountSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.enum(accountTypes),
    currency: z.string().meta({ example: 'EUR' }),
    opening_balance: z.string().meta({ example: '250.00' }),
    balance: z
      .string()
      .meta({ description: 'opening + income − expense − transfers out + transfers in', example: '1234.56' }),
    cleared_balance: z.string().meta({
      description: 'The same sum over cleared and reconciled transactions only (what the bank has seen)',
      example: '1200.00',
    }),
    reconciled_balance: z.string().meta({
      description: 'The same sum over reconciled transactions only (what statements confirmed)',
      example: '1000.00',
    }),
    archived: z.boolean(),
    ...timestamps,
  })
  .meta({ id: 'Account' });

export function presentAccount({
  account: a,
  balance,
  clearedBalance,
  reconciledBalance,
}: AccountWithBalance) {
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    currency: a.currency,
    opening_balance: formatMinorUnits(a.openingBalanceMinor, a.currency),
    balance: formatMinorUnits(balance, a.currency),
    cleared_balance: formatMinorUnits(clearedBalance, a.currency),
    reconciled_balance: formatMinorUnits(reconciledBalance, a.currency),
    archived: a.archived,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
    version: a.version,
  };
}
