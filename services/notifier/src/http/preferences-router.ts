import {
  ApiRouter,
  checkIfMatch,
  etagHeader,
  ifMatchHeader,
  lockUserForWrite,
  setETag,
  userSettingsOf,
  type ServiceContext,
} from '@finance/shared';
import type { Response } from 'express';
import type { EntityManager } from 'typeorm';
import type { z } from 'zod';
import type { NotifierConfig } from '../config';
import {
  clockOfMinutes,
  defaultPreferences,
  minutesOfClock,
  overlayChannels,
  type Preferences,
} from '../domain/preferences';
import { preferencesOf, savePreferences, type StoredPreferences } from '../data/preferences-store';
import { patchPreferencesBody, preferencesSchema, replacePreferencesBody } from './schemas';

const tags = ['notification-preferences'];

type QuietHoursInput = { start: string; end: string } | null;

const quietHoursOf = (q: QuietHoursInput) =>
  q ? { start: minutesOfClock(q.start), end: minutesOfClock(q.end) } : null;

function present(stored: StoredPreferences, timezone: string): z.output<typeof preferencesSchema> {
  const q = stored.preferences.quietHours;
  return {
    channels: stored.preferences.channels,
    quiet_hours: q ? { start: clockOfMinutes(q.start), end: clockOfMinutes(q.end) } : null,
    timezone,
    version: stored.version,
    updated_at: stored.updatedAt ? stored.updatedAt.toISOString() : null,
  };
}

const same = (a: Preferences, b: Preferences) => JSON.stringify(a) === JSON.stringify(b);

/** Per kind × channel on/off with the defaults, and quiet hours in the user's time zone. */
export function preferencesRouter(context: ServiceContext<NotifierConfig>): ApiRouter {
  const api = new ApiRouter({ authenticate: context.authenticate });
  const db = context.dataSource;

  async function answer(res: Response, manager: EntityManager, userId: string, stored: StoredPreferences) {
    setETag(res, stored.version);
    return present(stored, (await userSettingsOf(manager, userId)).timezone);
  }

  /** Read-modify-write under the user's lock and the row's: If-Match against the version read. */
  async function change(
    req: Parameters<typeof checkIfMatch>[0],
    res: Response,
    userId: string,
    next: (current: Preferences) => Preferences,
  ) {
    return db.transaction(async (manager) => {
      await lockUserForWrite(manager, userId);
      // Serialises two first saves of the same user (no row to lock yet).
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('notifier:preferences:' || $1))`, [userId]);
      const current = await preferencesOf(manager, userId, { forUpdate: true });
      checkIfMatch(req, current.version);
      const wanted = next(current.preferences);
      // A write that changes nothing keeps the version (and the ETag a client holds).
      const stored = same(wanted, current.preferences)
        ? current
        : await savePreferences(manager, userId, wanted, context.clock());
      return answer(res, manager, userId, stored);
    });
  }

  api.get(
    '/notifications/preferences',
    {
      summary: 'Your notification preferences',
      description:
        'Per kind × channel (in_app, email, webhook). Defaults: in-app on for everything; e-mail on for ' +
        'budget_exceeded, goal_completed, recurring_upcoming and monthly_report_ready; webhook on (each ' +
        'webhook names the kinds it wants). Quiet hours hold e-mail until they end; in-app is immediate.',
      tags,
      responses: { 200: { description: 'Your preferences', schema: preferencesSchema, headers: etagHeader } },
    },
    async ({ user }, _req, res) => answer(res, db.manager, user.id, await preferencesOf(db, user.id)),
  );

  api.put(
    '/notifications/preferences',
    {
      summary: 'Replace your notification preferences',
      description: 'Kinds and channels left out get their defaults; quiet_hours left out means none.',
      tags,
      body: replacePreferencesBody,
      headers: ifMatchHeader,
      responses: {
        200: { description: 'Your preferences', schema: preferencesSchema, headers: etagHeader },
        412: { description: 'If-Match is stale' },
      },
    },
    async ({ body, user }, req, res) =>
      change(req, res, user.id, () => ({
        channels: overlayChannels(defaultPreferences().channels, body.channels),
        quietHours: quietHoursOf(body.quiet_hours),
      })),
  );

  api.patch(
    '/notifications/preferences',
    {
      summary: 'Change some of your notification preferences (JSON merge patch)',
      description: 'Only what is sent changes; `quiet_hours: null` removes them.',
      tags,
      body: patchPreferencesBody,
      headers: ifMatchHeader,
      responses: {
        200: { description: 'Your preferences', schema: preferencesSchema, headers: etagHeader },
        412: { description: 'If-Match is stale' },
      },
    },
    async ({ body, user }, req, res) =>
      change(req, res, user.id, (current) => ({
        channels: body.channels ? overlayChannels(current.channels, body.channels) : current.channels,
        quietHours: body.quiet_hours === undefined ? current.quietHours : quietHoursOf(body.quiet_hours),
      })),
  );

  return api;
}
