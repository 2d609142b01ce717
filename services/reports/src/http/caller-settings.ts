import { awaitUserKnown, userSettingsOf, type ServiceContext, type UserSettings } from '@finance/shared';

/**
 * The caller's base currency and time zone, from the shared user directory (its one documented
 * fallback, USD/UTC, for a user auth has told this service nothing of). For a user who registered
 * a moment ago it first waits (bounded) for auth's registration to arrive, so even their first
 * request answers in their own currency and "this month" of their own zone.
 */
export async function callerSettings(
  context: Pick<ServiceContext, 'dataSource' | 'readYourWrites'>,
  userId: string,
): Promise<UserSettings> {
  await awaitUserKnown(context.readYourWrites, context.dataSource, userId);
  return userSettingsOf(context.dataSource, userId);
}
