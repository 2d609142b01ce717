import type { EntityManager } from 'typeorm';
import { DEFAULT_USER_SETTINGS, lockUserForWrite, userGoneProblem, type UserSettings } from '@finance/shared';
import type { CategoryKind } from '../domain/categories';

export interface AccountReference {
  id: string;
  name: string;
  currency: string;
  archived: boolean;
}

export interface CategoryReference {
  id: string;
  name: string;
  kind: CategoryKind;
}

/** The writing user as the directory knows them: their settings, or the shared defaults when auth has told us nothing yet. */
export interface WritingUser extends UserSettings {
  /** False when auth's registration has not arrived (the settings are the defaults). */
  known: boolean;
}

/** What a transaction being written refers to; an id that is not the user's is simply absent. */
export interface DraftReferences {
  user: WritingUser;
  accounts: Map<string, AccountReference>;
  category: CategoryReference | undefined;
  /** The categories the parts of a split name (absent: not the user's). */
  splitCategories: Map<string, CategoryReference>;
}

interface ReferenceRow {
  ref: 'user' | 'account' | 'category';
  id: string | null;
  name: string | null;
  detail: string | null;
  flag: boolean | null;
  gone: boolean | null;
}

/**
 * The write path's one statement: the user's directory row locked FOR SHARE (what
 * `lockUserForWrite` takes, so a deletion, which takes it exclusively, never leaves a row of this
 * write behind), with the user's settings, and the accounts and category the write names,
 * share-locked as findAccount and findCategory lock them (none can be archived or deleted under
 * the write). One round trip instead of four (bench/: on two cores each statement's socket send
 * is a measurable share of a write).
 *
 * The user comes first in the UNION (Append runs its branches in order), so the user's row is
 * locked before any account: the order the deletion takes them in. A user auth has not told us
 * about gets an empty row to lock (`new_user`), as lockUserForWrite does. A deleted or
 * deactivated user: the 401 of lockUserForWrite.
 */
export async function draftReferences(
  manager: EntityManager,
  userId: string,
  ids: { accountIds: string[]; categoryId: string | null; splitCategoryIds?: string[] },
): Promise<DraftReferences> {
  const rows: ReferenceRow[] = await manager.query(
    `WITH new_user AS (
       INSERT INTO user_directory (user_id) VALUES ($1) ON CONFLICT DO NOTHING
       RETURNING base_currency, timezone, is_active, deleted_at),
     locked_user AS (
       SELECT base_currency, timezone, is_active, deleted_at FROM user_directory WHERE user_id = $1 FOR SHARE),
     locked_accounts AS (
       SELECT id, name, currency, archived FROM accounts
        WHERE user_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR SHARE),
     locked_category AS (
       SELECT id, name, kind FROM categories
        WHERE user_id = $1 AND (id = $3::uuid OR id = ANY($4::uuid[])) ORDER BY id FOR SHARE)
     SELECT 'user' AS ref, NULL::uuid AS id, base_currency AS name, timezone AS detail,
            is_active AS flag, deleted_at IS NOT NULL AS gone FROM new_user
     UNION ALL SELECT 'user', NULL, base_currency, timezone, is_active, deleted_at IS NOT NULL FROM locked_user
     UNION ALL SELECT 'account', id, name, currency, archived, NULL FROM locked_accounts
     UNION ALL SELECT 'category', id, name, kind, NULL, NULL FROM locked_category`,
    [userId, ids.accountIds, ids.categoryId, ids.splitCategoryIds ?? []],
  );
  let user: WritingUser | undefined;
  const accounts = new Map<string, AccountReference>();
  let category: CategoryReference | undefined;
  const splitCategories = new Map<string, CategoryReference>();
  for (const row of rows) {
    if (row.ref === 'user') {
      if (row.gone || row.flag === false) throw userGoneProblem();
      user = writingUser(row.name, row.detail);
    } else if (row.ref === 'account')
      accounts.set(row.id!, {
        id: row.id!,
        name: row.name!,
        currency: row.detail!,
        archived: row.flag === true,
      });
    else {
      const found = { id: row.id!, name: row.name!, kind: row.detail as CategoryKind };
      if (found.id === ids.categoryId) category = found;
      if (ids.splitCategoryIds?.includes(found.id)) splitCategories.set(found.id, found);
    }
  }
  // Neither inserted nor seen: another transaction inserted the row after this statement's
  // snapshot. Rare (two first writes of a new user at once); lockUserForWrite reads it afresh.
  user ??= await lockUserForWrite(manager, userId);
  return { user, accounts, category, splitCategories };
}

function writingUser(baseCurrency: string | null, timezone: string | null): WritingUser {
  return {
    baseCurrency: baseCurrency ?? DEFAULT_USER_SETTINGS.baseCurrency,
    timezone: timezone ?? DEFAULT_USER_SETTINGS.timezone,
    known: baseCurrency !== null,
  };
}
