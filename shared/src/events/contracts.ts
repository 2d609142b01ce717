import { z } from 'zod';

/**
 * The event contract: the envelope every message on `finance.events` carries, and the
 * payload schema of every event type. Publishers and consumers both validate against these.
 * Envelopes and payloads are internal TypeScript contracts and use camelCase; amounts are
 * decimal strings, dates `YYYY-MM-DD`, instants ISO 8601.
 */

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'decimal string');
const currency = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code');
const calendarDate = z.iso.date();
const id = z.uuid();

// ── auth ────────────────────────────────────────────────────────────────────
export const userRoles = ['user', 'admin'] as const;
const userProfile = z.object({
  email: z.string(),
  username: z.string(),
  baseCurrency: currency,
  timezone: z.string(),
  role: z.enum(userRoles),
  /**
   * Access tokens carry the session version they were issued under (claim `sv`); a token whose
   * `sv` is lower than this is revoked. Auth raises it on a password change, logout-all,
   * deactivation, a role change and an admin's revoke-sessions. Absent in events from before it existed: 0.
   */
  sessionVersion: z.number().int().nonnegative().default(0),
  /** A deactivated user's tokens are refused everywhere (and auth issues none). */
  isActive: z.boolean().default(true),
});

// ── ledger ──────────────────────────────────────────────────────────────────
export const categoryKinds = ['expense', 'income', 'both'] as const;
const categoryState = z.object({
  name: z.string(),
  color: z.string(),
  icon: z.string().nullable(),
  kind: z.enum(categoryKinds),
  parentId: id.nullable(),
});

export const accountTypes = ['checking', 'savings', 'credit_card', 'cash', 'investment', 'loan'] as const;
const accountState = z.object({
  name: z.string(),
  type: z.enum(accountTypes),
  currency,
  openingBalance: decimal,
  archived: z.boolean(),
});

export const transactionTypes = ['income', 'expense', 'transfer'] as const;
export const clearedStatuses = ['uncleared', 'cleared', 'reconciled'] as const;
/**
 * One part of a split transaction: its share of `amount` (same currency, same sign convention:
 * a positive decimal), the same share in the base currency, and its own category, notes and tags.
 * The parts' amounts sum exactly to the transaction's `amount`, their base amounts to `baseAmount`.
 */
const transactionSplit = z.object({
  amount: decimal,
  baseAmount: decimal,
  categoryId: id.nullable(),
  notes: z.string().nullable(),
  tags: z.array(z.string()),
});
/** A transaction's full state after the change (for `deleted`: its last state). */
const transactionState = z.object({
  accountId: id,
  /** Only for transfers: the account the money went to. */
  toAccountId: id.nullable(),
  type: z.enum(transactionTypes),
  amount: decimal,
  currency,
  /** The amount in the user's base currency (what budgets and reports add up). */
  baseAmount: decimal,
  baseCurrency: currency,
  /** A transfer between accounts of different currencies: what arrived, in `toCurrency` (absent or null otherwise). */
  toAmount: decimal.nullable().optional(),
  toCurrency: currency.nullable().optional(),
  categoryId: id.nullable(),
  date: calendarDate,
  description: z.string(),
  payee: z.string().nullable(),
  notes: z.string().nullable(),
  tags: z.array(z.string()),
  /**
   * A split transaction's parts (empty: not split, the whole amount is in `categoryId`). Budgets
   * and reports count each part in its own category. Absent in events from before splits: [].
   */
  splits: z.array(transactionSplit).default([]),
  /** Reconciliation state (absent in events from before it existed: uncleared). */
  cleared: z.enum(clearedStatuses).default('uncleared'),
});

const recurringUpcoming = z.object({
  recurringId: id,
  dueDate: calendarDate,
  amount: decimal,
  currency,
  type: z.enum(transactionTypes),
  description: z.string(),
});

const recurringGenerated = z.object({
  recurringId: id,
  transactionId: id,
  date: calendarDate,
  amount: decimal,
  currency,
});

const importCompleted = z.object({
  importId: id,
  fileName: z.string().nullable(),
  imported: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});

// ── budgets ─────────────────────────────────────────────────────────────────
const budgetThreshold = z.object({
  budgetId: id,
  name: z.string(),
  categoryId: id.nullable(),
  windowStart: calendarDate,
  windowEnd: calendarDate,
  limit: decimal,
  spent: decimal,
  percentUsed: decimal,
  currency,
  /** 80 for threshold-reached, 100 for exceeded. */
  threshold: z.number().int(),
});

const budgetRemoved = z.object({
  budgetId: id,
  name: z.string(),
  reason: z.enum(['category-deleted']),
  categoryId: id.nullable(),
});

/** A budget's definition after the change (for `deleted`: its last one): what a window is computed from. */
export const budgetPeriods = ['daily', 'weekly', 'monthly', 'yearly'] as const;
const budgetState = z.object({
  name: z.string(),
  /** null: every expense counts. */
  categoryId: id.nullable(),
  /** The limit of one window, in `currency` (the user's base currency when it was created). */
  amount: decimal,
  currency,
  period: z.enum(budgetPeriods),
  startDate: calendarDate,
  endDate: calendarDate.nullable(),
  rollover: z.boolean(),
});

// ── goals ───────────────────────────────────────────────────────────────────
const goalProgress = z.object({
  goalId: id,
  name: z.string(),
  targetAmount: decimal,
  currentAmount: decimal,
  currency,
});

export const goalStatuses = ['active', 'completed', 'cancelled'] as const;
/** A goal after the change (for `deleted`: its last state), contributions included in `currentAmount`. */
const goalState = z.object({
  name: z.string(),
  targetAmount: decimal,
  currentAmount: decimal,
  currency,
  status: z.enum(goalStatuses),
  deadline: calendarDate.nullable(),
});

// ── reports ─────────────────────────────────────────────────────────────────
const monthlyReportReady = z.object({
  reportId: id,
  month: z.string().regex(/^\d{4}-\d{2}$/),
  income: decimal,
  expense: decimal,
  net: decimal,
  currency,
});

/** Every event type in the catalogue and its payload schema. Routing key = type. */
export const eventPayloadSchemas = {
  'auth.user.registered': userProfile,
  'auth.user.updated': userProfile,
  'auth.user.deleted': z.object({}),

  'ledger.category.created': categoryState,
  'ledger.category.updated': categoryState,
  /** `reassignedTo`: the category the deleted one's transactions moved to, or null (they became uncategorised). */
  'ledger.category.deleted': categoryState.extend({ reassignedTo: id.nullable() }),
  'ledger.account.created': accountState,
  'ledger.account.updated': accountState,
  'ledger.account.deleted': accountState,
  'ledger.transaction.created': transactionState,
  'ledger.transaction.updated': transactionState,
  'ledger.transaction.deleted': transactionState,
  'ledger.recurring.upcoming': recurringUpcoming,
  'ledger.recurring.generated': recurringGenerated,
  'ledger.import.completed': importCompleted,

  'budgets.budget.threshold-reached': budgetThreshold,
  'budgets.budget.exceeded': budgetThreshold,
  'budgets.budget.removed': budgetRemoved,
  /** Created or changed (its definition): reports computes the month's figures from it and its own roll-ups. */
  'budgets.budget.changed': budgetState,
  'budgets.budget.deleted': budgetState,

  'goals.goal.milestone-reached': goalProgress.extend({
    milestone: z.union([z.literal(25), z.literal(50), z.literal(75)]),
  }),
  'goals.goal.completed': goalProgress,
  /** Created, changed, or its amount moved (a contribution added, changed or removed). */
  'goals.goal.changed': goalState,
  'goals.goal.deleted': goalState,

  'reports.monthly.ready': monthlyReportReady,
} as const;

export type EventType = keyof typeof eventPayloadSchemas;
export const eventTypes = Object.keys(eventPayloadSchemas) as EventType[];
export type EventPayload<T extends EventType> = z.output<(typeof eventPayloadSchemas)[T]>;
/** A payload as a publisher writes it: fields with a default (added later to a contract) may be left out. */
export type EventPayloadInput<T extends EventType> = z.input<(typeof eventPayloadSchemas)[T]>;

export const envelopeSchema = z.object({
  id,
  type: z.enum(eventTypes as [EventType, ...EventType[]]),
  /** Version of the payload schema for this type; bumped on incompatible change. */
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  userId: id,
  correlationId: z.string().min(1).max(128),
  aggregateId: z.string().min(1),
  aggregateVersion: z.number().int().nonnegative(),
  payload: z.unknown(),
});

/** A validated event of one type. */
export type FinanceEvent<T extends EventType = EventType> = {
  [K in T]: Omit<z.output<typeof envelopeSchema>, 'type' | 'payload'> & { type: K; payload: EventPayload<K> };
}[T];

/** What a publisher provides; id, occurredAt, version and correlationId are filled in by the outbox. */
export type NewEvent<T extends EventType = EventType> = {
  [K in T]: {
    type: K;
    userId: string;
    aggregateId: string;
    aggregateVersion: number;
    payload: EventPayloadInput<K>;
    correlationId?: string;
    occurredAt?: string;
  };
}[T];

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Validates a whole event (envelope, then the payload for its type); throws InvalidEventError with the reason. */
export function parseEvent(raw: unknown): FinanceEvent {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) throw new InvalidEventError(`invalid envelope: ${z.prettifyError(envelope.error)}`);
  const payload = eventPayloadSchemas[envelope.data.type].safeParse(envelope.data.payload);
  if (!payload.success)
    throw new InvalidEventError(`invalid ${envelope.data.type} payload: ${z.prettifyError(payload.error)}`);
  return { ...envelope.data, payload: payload.data } as FinanceEvent;
}
