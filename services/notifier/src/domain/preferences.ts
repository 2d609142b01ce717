import { channels, eventKinds, type Channel, type EventKind } from './kinds';

/** On/off per channel for one kind. */
export type ChannelSwitches = Record<Channel, boolean>;
/** On/off per kind × channel: the whole matrix. */
export type ChannelMatrix = Record<EventKind, ChannelSwitches>;
/** Local wall-clock times as minutes after midnight, 0–1439; `start > end` spans midnight. */
export interface QuietHours {
  start: number;
  end: number;
}

export interface Preferences {
  channels: ChannelMatrix;
  /** In the user's time zone; e-mail waits until they end, in-app is immediate. */
  quietHours: QuietHours | null;
}

/** The kinds whose e-mail is on unless the user turns it off: what a person wants to hear about by mail. */
const EMAIL_BY_DEFAULT: ReadonlySet<EventKind> = new Set<EventKind>([
  'budget_exceeded',
  'goal_completed',
  'recurring_upcoming',
  'monthly_report_ready',
]);

/**
 * The defaults: in-app on for everything; e-mail on for a budget exceeded, a goal completed,
 * reminders of upcoming recurring transactions and the monthly report; webhook on for every kind
 * (a subscription already names the kinds it wants: this switch lets a user mute a kind there).
 */
export function defaultPreferences(): Preferences {
  const matrix = {} as ChannelMatrix;
  for (const kind of eventKinds)
    matrix[kind] = { in_app: true, email: EMAIL_BY_DEFAULT.has(kind), webhook: true };
  return { channels: matrix, quietHours: null };
}

/** A partial matrix (what a client sends) laid over a full one. */
export type ChannelChoices = Partial<Record<EventKind, Partial<ChannelSwitches>>>;

export function overlayChannels(base: ChannelMatrix, choices: ChannelChoices): ChannelMatrix {
  const matrix = {} as ChannelMatrix;
  for (const kind of eventKinds) {
    matrix[kind] = { ...base[kind] };
    for (const channel of channels) {
      const choice = choices[kind]?.[channel];
      if (choice !== undefined) matrix[kind][channel] = choice;
    }
  }
  return matrix;
}

/** "22:30" → 1350. */
export function minutesOfClock(text: string): number {
  const [hours, minutes] = text.split(':').map(Number);
  return hours * 60 + minutes;
}

/** 1350 → "22:30". */
export function clockOfMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
