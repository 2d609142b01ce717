import { paginationQuery, singleLineText } from '@finance/shared';
import { z } from 'zod';
import { channels, eventKinds, notificationKinds, WEBHOOK_TEST_TYPE } from '../domain/kinds';

const instant = z.string().meta({ description: 'ISO 8601 instant', example: '2026-01-31T18:00:00.000Z' });

// ── notifications ──
export const notificationSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(notificationKinds),
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.string().nullable()).meta({
      description:
        'Ids to link to: budget_id, category_id, goal_id, recurring_id, transaction_id, import_id, report_id, webhook_id',
    }),
    created_at: instant,
    read_at: instant.nullable(),
  })
  .meta({ id: 'Notification' });

const emailAttemptSchema = z.object({
  attempt: z.number().int(),
  attempted_at: instant,
  duration_ms: z.number().int(),
  ok: z.boolean(),
  error: z.string().nullable(),
});

const webhookAttemptSchema = z
  .object({
    attempt: z.number().int(),
    attempted_at: instant,
    duration_ms: z.number().int(),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    response_excerpt: z.string().nullable().meta({ description: 'The first bytes of the answer' }),
  })
  .meta({ id: 'WebhookAttempt' });

export const deliverySchema = z
  .object({
    id: z.uuid(),
    message_id: z
      .string()
      .meta({ description: 'The webhook-id header: msg_<id>, the same on every attempt' }),
    webhook_id: z.uuid(),
    notification_id: z.uuid().nullable(),
    type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.array(webhookAttemptSchema),
    next_attempt_at: instant.nullable(),
    created_at: instant,
    completed_at: instant.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const notificationDetailSchema = notificationSchema
  .extend({
    deliveries: z.object({
      email: z.array(
        z.object({
          id: z.uuid(),
          to: z.string().nullable(),
          status: z.enum(['pending', 'sent', 'failed', 'skipped']),
          next_attempt_at: instant
            .nullable()
            .meta({ description: 'When pending: the next try (or the end of quiet hours)' }),
          sent_at: instant.nullable(),
          last_error: z.string().nullable(),
          attempts: z.array(emailAttemptSchema),
        }),
      ),
      webhooks: z.array(deliverySchema),
    }),
  })
  .meta({ id: 'NotificationWithDeliveries' });

export const listNotificationsQuery = z.object({
  ...paginationQuery,
  unread: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .meta({ description: 'true: unread only; false: read only' }),
  kind: z.enum(notificationKinds).optional(),
});

export const idParams = z.object({ id: z.uuid() });

// ── preferences ──
const clock = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Must be a time like 22:00 (00:00–23:59)')
  .meta({ example: '22:00' });

const quietHoursSchema = z
  .object({ start: clock, end: clock })
  .strict()
  .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] })
  .meta({ description: 'Local times in your time zone; start after end spans midnight (22:00 → 07:00)' });

const switches = z.object({ in_app: z.boolean(), email: z.boolean(), webhook: z.boolean() });
const partialSwitches = switches.partial().strict();

const channelChoices = z
  .object(
    Object.fromEntries(eventKinds.map((kind) => [kind, partialSwitches.optional()])) as Record<
      (typeof eventKinds)[number],
      z.ZodOptional<typeof partialSwitches>
    >,
  )
  .strict();

export const preferencesSchema = z
  .object({
    channels: z.object(
      Object.fromEntries(eventKinds.map((kind) => [kind, switches])) as Record<
        (typeof eventKinds)[number],
        typeof switches
      >,
    ),
    quiet_hours: z.object({ start: z.string(), end: z.string() }).nullable(),
    timezone: z
      .string()
      .meta({ description: 'Your time zone (from your profile): the one quiet hours are in' }),
    version: z.number().int().meta({ description: '0 while you have never changed them' }),
    updated_at: instant.nullable(),
  })
  .meta({ id: 'NotificationPreferences' });

/** PUT replaces: kinds or channels left out get their defaults; quiet_hours left out is none. */
export const replacePreferencesBody = z.object({
  channels: channelChoices.default({}),
  quiet_hours: quietHoursSchema.nullable().default(null),
});

/** PATCH is a JSON merge patch: what is sent changes, `quiet_hours: null` removes them. */
export const patchPreferencesBody = z.object({
  channels: channelChoices.optional(),
  quiet_hours: quietHoursSchema.nullable().optional(),
});

// ── webhooks ──
export const subscribableTypes = eventKinds;

const webhookFields = {
  url: z.string().max(2048).meta({
    description: 'http(s) URL of your receiver; must resolve to a public address on an allowed port',
    example: 'https://example.com/hooks/finance',
  }),
  event_types: z
    .array(z.enum(subscribableTypes))
    .min(1)
    .max(subscribableTypes.length)
    .refine((types) => new Set(types).size === types.length, { message: 'Each event type once' })
    .meta({ description: 'The kinds to deliver' }),
  description: singleLineText({ max: 200 }).nullable(),
  active: z.boolean(),
};

export const createWebhookBody = z.object({
  url: webhookFields.url,
  event_types: webhookFields.event_types,
  description: webhookFields.description.default(null),
  active: webhookFields.active.default(true),
});

export const replaceWebhookBody = createWebhookBody;

export const webhookSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    event_types: z.array(z.string()),
    description: z.string().nullable(),
    active: z.boolean(),
    disabled_at: instant
      .nullable()
      .meta({ description: 'When the notifier switched it off after failing too long' }),
    disabled_reason: z.string().nullable(),
    failing_since: instant.nullable(),
    previous_secret_expires_at: instant
      .nullable()
      .meta({ description: 'Until then the secret before the last rotation signs too' }),
    created_at: instant,
    updated_at: instant,
    version: z.number().int(),
  })
  .meta({ id: 'Webhook' });

export const webhookWithSecretSchema = webhookSchema
  .extend({
    secret: z.string().meta({ description: 'whsec_…: shown only now; keep it to verify signatures' }),
  })
  .meta({ id: 'WebhookWithSecret' });

export const testDeliverySchema = z.object({
  delivery_id: z.uuid(),
  message_id: z.string(),
  type: z.literal(WEBHOOK_TEST_TYPE),
  status: z.literal('pending'),
});

export const channelNames = channels;
