import type { EventType } from '@finance/shared';

/**
 * What a notification is about. Each consumed event type gives one kind; the names are the
 * notifier's vocabulary on the wire (`?kind=`, preferences, webhook `type` and subscriptions).
 */
export const eventKinds = [
  'budget_threshold_reached',
  'budget_exceeded',
  'budget_removed',
  'goal_milestone_reached',
  'goal_completed',
  'recurring_upcoming',
  'recurring_generated',
  'import_completed',
  'monthly_report_ready',
] as const;
export type EventKind = (typeof eventKinds)[number];

/** Kinds the notifier raises itself: always in-app, not a preference. */
export const systemKinds = ['webhook_disabled'] as const;
export type SystemKind = (typeof systemKinds)[number];

export type NotificationKind = EventKind | SystemKind;
export const notificationKinds = [...eventKinds, ...systemKinds] as const;

/** The webhook `type` of a test delivery (`POST /webhooks/{id}/test`); no subscription is needed for it. */
export const WEBHOOK_TEST_TYPE = 'webhook_test' as const;

/** The event types the notifier consumes, by the kind each gives. */
export const kindOfEvent = {
  'budgets.budget.threshold-reached': 'budget_threshold_reached',
  'budgets.budget.exceeded': 'budget_exceeded',
  'budgets.budget.removed': 'budget_removed',
  'goals.goal.milestone-reached': 'goal_milestone_reached',
  'goals.goal.completed': 'goal_completed',
  'ledger.recurring.upcoming': 'recurring_upcoming',
  'ledger.recurring.generated': 'recurring_generated',
  'ledger.import.completed': 'import_completed',
  'reports.monthly.ready': 'monthly_report_ready',
} as const satisfies Partial<Record<EventType, EventKind>>;

export type NotifyingEventType = keyof typeof kindOfEvent;

export const channels = ['in_app', 'email', 'webhook'] as const;
export type Channel = (typeof channels)[number];
