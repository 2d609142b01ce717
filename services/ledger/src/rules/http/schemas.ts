import { z } from 'zod';
import {
  calendarDateSchema,
  decimalAmount,
  multiLineText,
  paginationQuery,
  positiveAmount,
  singleLineText,
  transactionTypes,
} from '@finance/shared';
import { timestamps } from '../../http/fields';
import { transactionBody } from '../../http/transaction-schemas';
import type { RuleRecord, RuleContent } from '../data/rules';
import { MAX_PATTERN_LENGTH, patternProblem } from '../domain/patterns';
import type { RuleAction, RuleCondition, SplitPartRule } from '../domain/rules';
import { TEXT_FIELDS, TEXT_MODES } from '../domain/rules';
import { PERCENT_DECIMALS, sharesMakeWhole } from '../domain/splits';
import { compareDecimals, type RuleChangedField, type RuleEffect } from '../domain/engine';
import type { TransactionDraft } from '../../domain/transactions';

/** Most rules a user may have: every create and import runs them all, so their cost is bounded. */
export const MAX_RULES_PER_USER = 200;
export const MAX_CONDITIONS = 20;
export const MAX_ACTIONS = 20;
export const MAX_SPLIT_PARTS = 20;

const tag = singleLineText({ max: 40 });
const tags = z.array(tag).max(20);

const textCondition = z.strictObject({
  field: z.enum(TEXT_FIELDS),
  operator: z.enum(TEXT_MODES).meta({
    description: `contains, starts_with, equals, or regex (RE2 syntax: linear-time, no backreferences or lookaround; ≤ ${MAX_PATTERN_LENGTH} chars)`,
  }),
  value: singleLineText({ max: MAX_PATTERN_LENGTH, trim: false }),
  case_sensitive: z.boolean().default(false).meta({ description: 'Default false: case-insensitive' }),
});

const amountCondition = z.strictObject({
  field: z.literal('amount'),
  operator: z.enum(['eq', 'lt', 'gt', 'between']),
  value: decimalAmount.optional().meta({ description: 'eq, lt, gt: compared exactly with the amount' }),
  min: decimalAmount.optional().meta({ description: 'between: inclusive' }),
  max: decimalAmount.optional().meta({ description: 'between: inclusive' }),
});

const dateCondition = z.strictObject({
  field: z.literal('date'),
  operator: z.enum(['before', 'after', 'between']),
  value: calendarDateSchema.optional().meta({ description: 'before, after: exclusive' }),
  from: calendarDateSchema.optional().meta({ description: 'between: inclusive' }),
  to: calendarDateSchema.optional().meta({ description: 'between: inclusive' }),
});

const condition = z
  .discriminatedUnion('field', [
    textCondition,
    amountCondition,
    dateCondition,
    z.strictObject({ field: z.literal('account_id'), value: z.uuid() }),
    z.strictObject({ field: z.literal('type'), value: z.enum(transactionTypes) }),
  ])
  .superRefine((c, ctx) => {
    const need = (names: string[]) => {
      for (const name of names)
        if ((c as Record<string, unknown>)[name] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `Required with operator ${'operator' in c ? c.operator : ''}`,
          });
    };
    if (c.field === 'amount') need(c.operator === 'between' ? ['min', 'max'] : ['value']);
    if (c.field === 'date') need(c.operator === 'between' ? ['from', 'to'] : ['value']);
    if (
      c.field === 'amount' &&
      c.min !== undefined &&
      c.max !== undefined &&
      compareDecimals(c.min, c.max) > 0
    )
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'Must not be below min' });
    if (c.field === 'date' && c.from !== undefined && c.to !== undefined && c.from > c.to)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'Must not be before from' });
    if ((c.field === 'description' || c.field === 'payee' || c.field === 'notes') && c.operator === 'regex') {
      // (an over-long one is already refused by the value's own length check)
      const problem = c.value.length <= MAX_PATTERN_LENGTH ? patternProblem(c.value) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
    }
  });

const splitPart = z.strictObject({
  percent: z
    .string()
    .regex(
      new RegExp(`^\\d{1,3}(\\.\\d{1,${PERCENT_DECIMALS}})?$`),
      `A percentage with at most ${PERCENT_DECIMALS} decimals`,
    )
    .optional()
    .meta({ description: 'mode percentages', example: '60' }),
  amount: positiveAmount.optional().meta({ description: 'mode amounts', example: '17.90' }),
  category_id: z.uuid().nullable().optional(),
  notes: multiLineText({ max: 2000 }).nullable().optional(),
  tags: tags.optional(),
});
const splitRest = splitPart.pick({ category_id: true, notes: true, tags: true });

const action = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('set_category'), category_id: z.uuid() }),
  z.strictObject({ type: z.literal('set_payee'), payee: singleLineText({ max: 200 }) }),
  z.strictObject({ type: z.literal('add_tags'), tags: tags.min(1) }),
  z.strictObject({ type: z.literal('remove_tags'), tags: tags.min(1) }),
  z.strictObject({ type: z.literal('set_notes'), notes: multiLineText({ max: 2000 }) }),
  z.strictObject({ type: z.literal('set_description'), description: singleLineText({ max: 500 }) }),
  z.strictObject({ type: z.literal('mark_transfer'), to_account_id: z.uuid() }),
  z
    .object({
      type: z.literal('split'),
      mode: z.enum(['percentages', 'amounts']).meta({
        description:
          'percentages: parts sum to 100 (largest remainder in minor units); amounts: fixed amounts, the rest in a last part (`remainder`)',
      }),
      parts: z.array(splitPart).min(1).max(MAX_SPLIT_PARTS),
      remainder: splitRest.optional().meta({ description: 'amounts: the last part, holding what is left' }),
    })
    .superRefine((a, ctx) => {
      const key = a.mode === 'percentages' ? 'percent' : 'amount';
      a.parts.forEach((p, i) => {
        if (p[key] === undefined)
          ctx.addIssue({ code: 'custom', path: ['parts', i, key], message: `Required in mode ${a.mode}` });
      });
      if (a.mode === 'percentages') {
        if (a.parts.length < 2)
          ctx.addIssue({ code: 'custom', path: ['parts'], message: 'At least two parts' });
        else if (
          a.parts.every((p) => p.percent !== undefined) &&
          !sharesMakeWhole(a.parts.map((p) => p.percent!))
        )
          ctx.addIssue({
            code: 'custom',
            path: ['parts'],
            message: 'The percentages must each be above 0 and sum to exactly 100',
          });
        if (a.remainder)
          ctx.addIssue({ code: 'custom', path: ['remainder'], message: 'Only with mode amounts' });
      }
    }),
]);

const fields = {
  name: singleLineText({ max: 100 }).meta({ example: 'Albert Heijn' }),
  enabled: z.boolean().meta({ description: 'Default true' }),
  match: z
    .enum(['all', 'any'])
    .meta({ description: 'all (default): every condition must hold; any: one is enough' }),
  conditions: z
    .array(condition)
    .max(MAX_CONDITIONS)
    .meta({
      description: 'None: the rule matches every transaction',
      example: [{ field: 'description', operator: 'starts_with', value: 'ALBERT HEIJN' }],
    }),
  actions: z
    .array(action)
    .min(1)
    .max(MAX_ACTIONS)
    .meta({
      example: [
        { type: 'set_description', description: 'Albert Heijn' },
        { type: 'set_category', category_id: '0190a5a4-8f5e-7c3b-9a41-6f2d8e1b3c5a' },
      ],
    }),
  stop_processing: z.boolean().meta({ description: 'When it matched, no later rule runs (default false)' }),
  position: z.number().int().min(0).max(MAX_RULES_PER_USER).meta({
    description: 'Place in your order (0 = first; default last); the others move to make room',
  }),
};

export const ruleBody = z.object({
  name: fields.name,
  enabled: fields.enabled.default(true),
  match: fields.match.default('all'),
  conditions: fields.conditions.default([]),
  actions: fields.actions,
  stop_processing: fields.stop_processing.default(false),
  position: fields.position.optional(),
});

export const rulePatchBody = z.object({
  name: fields.name.optional(),
  enabled: fields.enabled.optional(),
  match: fields.match.optional(),
  conditions: fields.conditions.optional(),
  actions: fields.actions.optional(),
  stop_processing: fields.stop_processing.optional(),
  position: fields.position.optional(),
});

export const ruleListQuery = z.object({ ...paginationQuery });

function conditionOf(c: z.output<typeof condition>): RuleCondition {
  switch (c.field) {
    case 'amount':
      return c.operator === 'between'
        ? { field: 'amount', operator: 'between', min: c.min!, max: c.max! }
        : { field: 'amount', operator: c.operator, value: c.value! };
    case 'date':
      return c.operator === 'between'
        ? { field: 'date', operator: 'between', from: c.from!, to: c.to! }
        : { field: 'date', operator: c.operator, value: c.value! };
    case 'account_id':
      return { field: 'accountId', value: c.value };
    case 'type':
      return { field: 'type', value: c.value };
    default:
      return { field: c.field, operator: c.operator, value: c.value, caseSensitive: c.case_sensitive };
  }
}

function actionOf(a: z.output<typeof action>): RuleAction {
  switch (a.type) {
    case 'set_category':
      return { type: 'setCategory', categoryId: a.category_id };
    case 'set_payee':
      return { type: 'setPayee', payee: a.payee };
    case 'add_tags':
      return { type: 'addTags', tags: [...new Set(a.tags)] };
    case 'remove_tags':
      return { type: 'removeTags', tags: [...new Set(a.tags)] };
    case 'set_notes':
      return { type: 'setNotes', notes: a.notes };
    case 'set_description':
      return { type: 'setDescription', description: a.description };
    case 'mark_transfer':
      return { type: 'markTransfer', toAccountId: a.to_account_id };
    case 'split':
      return {
        type: 'split',
        mode: a.mode,
        parts: a.parts.map((p) => ({
          share: (a.mode === 'percentages' ? p.percent : p.amount)!,
          categoryId: p.category_id ?? null,
          notes: p.notes ?? null,
          tags: p.tags ?? [],
        })),
        remainder: a.remainder
          ? {
              categoryId: a.remainder.category_id ?? null,
              notes: a.remainder.notes ?? null,
              tags: a.remainder.tags ?? [],
            }
          : null,
      };
  }
}

export type RuleWire = z.output<typeof ruleBody>;

export function ruleContentOf(body: RuleWire): RuleContent {
  return {
    name: body.name,
    enabled: body.enabled,
    match: body.match,
    conditions: body.conditions.map(conditionOf),
    actions: body.actions.map(actionOf),
    stopProcessing: body.stop_processing,
  };
}

/** A PATCH as a partial content (only what the patch names). */
export function rulePatchOf(body: z.output<typeof rulePatchBody>): Partial<RuleContent> {
  const patch: Partial<RuleContent> = {};
  if (body.name !== undefined) patch.name = body.name;
  if (body.enabled !== undefined) patch.enabled = body.enabled;
  if (body.match !== undefined) patch.match = body.match;
  if (body.conditions !== undefined) patch.conditions = body.conditions.map(conditionOf);
  if (body.actions !== undefined) patch.actions = body.actions.map(actionOf);
  if (body.stop_processing !== undefined) patch.stopProcessing = body.stop_processing;
  return patch;
}

function wireCondition(c: RuleCondition) {
  switch (c.field) {
    case 'accountId':
      return { field: 'account_id' as const, value: c.value };
    case 'description':
    case 'payee':
    case 'notes':
      return { field: c.field, operator: c.operator, value: c.value, case_sensitive: c.caseSensitive };
    default:
      return c;
  }
}

function wirePart(p: Omit<SplitPartRule, 'share'>) {
  return { category_id: p.categoryId, notes: p.notes, tags: p.tags };
}

function wireAction(a: RuleAction) {
  switch (a.type) {
    case 'setCategory':
      return { type: 'set_category', category_id: a.categoryId };
    case 'setPayee':
      return { type: 'set_payee', payee: a.payee };
    case 'addTags':
      return { type: 'add_tags', tags: a.tags };
    case 'removeTags':
      return { type: 'remove_tags', tags: a.tags };
    case 'setNotes':
      return { type: 'set_notes', notes: a.notes };
    case 'setDescription':
      return { type: 'set_description', description: a.description };
    case 'markTransfer':
      return { type: 'mark_transfer', to_account_id: a.toAccountId };
    case 'split':
      return {
        type: 'split',
        mode: a.mode,
        parts: a.parts.map((p) => ({
          [a.mode === 'percentages' ? 'percent' : 'amount']: p.share,
          ...wirePart(p),
        })),
        ...(a.remainder ? { remainder: wirePart(a.remainder) } : {}),
      };
  }
}

/** The rule's content as a client sends it (what a suggestion offers, ready to POST). */
export function wireRuleContent(content: RuleContent) {
  return {
    name: content.name,
    enabled: content.enabled,
    match: content.match,
    conditions: content.conditions.map(wireCondition),
    actions: content.actions.map(wireAction),
    stop_processing: content.stopProcessing,
  };
}

export const ruleSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    enabled: z.boolean(),
    match: z.enum(['all', 'any']),
    conditions: z.array(z.record(z.string(), z.unknown())),
    actions: z.array(z.record(z.string(), z.unknown())),
    stop_processing: z.boolean(),
    position: z.number().int(),
    ...timestamps,
  })
  .meta({ id: 'Rule' });

export function presentRule(rule: RuleRecord) {
  return {
    id: rule.id,
    ...wireRuleContent(rule),
    position: rule.position,
    created_at: rule.createdAt.toISOString(),
    updated_at: rule.updatedAt.toISOString(),
    version: rule.version,
  };
}

// --- what rules did to a transaction (test endpoint, apply, import dry runs) ---

const WIRE_FIELD: Record<RuleChangedField, string> = {
  categoryId: 'category_id',
  payee: 'payee',
  tags: 'tags',
  notes: 'notes',
  description: 'description',
  type: 'transaction_type',
  toAccountId: 'to_account_id',
  splits: 'splits',
};

const WIRE_ACTION: Record<RuleAction['type'], string> = {
  setCategory: 'set_category',
  setPayee: 'set_payee',
  addTags: 'add_tags',
  removeTags: 'remove_tags',
  setNotes: 'set_notes',
  setDescription: 'set_description',
  markTransfer: 'mark_transfer',
  split: 'split',
};

export const ruleEffectSchema = z.object({
  rule_id: z.string().nullable().meta({ description: 'null: the unsaved rule of a test' }),
  rule_name: z.string(),
  changed: z
    .array(z.string())
    .meta({ description: 'Fields it changed', example: ['description', 'category_id'] }),
  skipped: z.array(z.object({ action: z.string(), reason: z.string() })).meta({
    description: 'Actions that did not apply, and why (a rule never overrides what a transaction has)',
  }),
});

export function presentEffect(e: RuleEffect) {
  return {
    rule_id: e.ruleId === '' ? null : e.ruleId, // an unsaved rule under test
    rule_name: e.ruleName,
    changed: e.changed.map((f) => WIRE_FIELD[f]),
    skipped: e.skipped.map((s) => ({ action: WIRE_ACTION[s.action], reason: s.reason })),
  };
}

/** The fields rules may change, as the wire shows them. */
export function ruledFields(d: TransactionDraft) {
  return {
    description: d.description,
    payee: d.payee,
    notes: d.notes,
    category_id: d.categoryId,
    tags: d.tags,
    transaction_type: d.type,
    to_account_id: d.toAccountId,
    splits: (d.splits ?? []).map((s) => ({
      amount: s.amount,
      category_id: s.categoryId,
      notes: s.notes,
      tags: s.tags,
    })),
  };
}

const ruledFieldsSchema = z.object({
  description: z.string(),
  payee: z.string().nullable(),
  notes: z.string().nullable(),
  category_id: z.string().nullable(),
  tags: z.array(z.string()),
  transaction_type: z.enum(transactionTypes),
  to_account_id: z.string().nullable(),
  splits: z.array(
    z.object({
      amount: z.string(),
      category_id: z.string().nullable(),
      notes: z.string().nullable(),
      tags: z.array(z.string()),
    }),
  ),
});

/** Most stored transactions a test runs on (`last`). */
export const MAX_TEST_LAST = 100;

export const ruleTestBody = z
  .object({
    rule: ruleBody.omit({ position: true }).strict().optional().meta({
      description: 'An unsaved rule to try; omitted: your enabled rules, in order',
    }),
    transaction: transactionBody
      .strict()
      .optional()
      .meta({ description: 'A sample transaction (as POST /transactions takes it)' }),
    last: z
      .number()
      .int()
      .min(1)
      .max(MAX_TEST_LAST)
      .optional()
      .meta({
        description: `Or: your last N transactions (by date), 1–${MAX_TEST_LAST}`,
        example: 20,
      }),
  })
  .superRefine((b, ctx) => {
    if ((b.transaction === undefined) === (b.last === undefined))
      ctx.addIssue({ code: 'custom', path: ['transaction'], message: 'Give either transaction or last' });
  });

export const ruleTestResultSchema = z
  .object({
    results: z.array(
      z.object({
        transaction_id: z.uuid().nullable().meta({ description: 'null for the sample' }),
        matched: z.boolean(),
        before: ruledFieldsSchema,
        after: ruledFieldsSchema,
        rules: z.array(ruleEffectSchema),
      }),
    ),
  })
  .meta({ id: 'RuleTestResult' });

export const applyQuery = z
  .object({
    from: calendarDateSchema.optional().meta({ description: 'On or after this date' }),
    to: calendarDateSchema.optional().meta({ description: 'On or before this date' }),
  })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from > q.to)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'Must not be before from' });
  });

export const ruleJobSchema = z
  .object({
    id: z.uuid(),
    rule_id: z.uuid(),
    status: z.enum(['pending', 'running', 'completed', 'failed']),
    from: z.string().nullable(),
    to: z.string().nullable(),
    total: z.number().int().meta({ description: 'Transactions in the range when the job was made' }),
    examined: z.number().int(),
    changed: z.number().int(),
    failed: z.number().int().meta({
      description: 'Transactions the change could not be saved for (e.g. a currency without a rate)',
    }),
    failure: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: 'RuleJob' });

export const applyResultSchema = z
  .object({
    examined: z.number().int(),
    changed: z.number().int(),
    failed: z.number().int(),
  })
  .meta({ id: 'RuleApplyResult' });

export const suggestionSchema = z
  .object({
    id: z.string().meta({ description: 'For DELETE /rules/suggestions/{id} (dismiss)' }),
    condition: z.record(z.string(), z.unknown()),
    action: z.record(z.string(), z.unknown()),
    example_count: z.number().int().meta({ description: 'Transactions you re-categorised so' }),
    rule: z.record(z.string(), z.unknown()).meta({ description: 'A rule body, ready to POST /rules' }),
  })
  .meta({ id: 'RuleSuggestion' });

export const suggestionListSchema = z.object({ data: z.array(suggestionSchema).max(20) });

export const suggestionParams = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'A suggestion id')
    .meta({ description: 'Suggestion id' }),
});
