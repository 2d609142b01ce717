import type { EntityManager } from 'typeorm';
import type { CategoryKind } from '../domain/categories';
import { FALLBACK_PROFILE, type LedgerProfile } from './profiles';

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

/** What a transaction being written refers to; an id that is not the user's is simply absent. */
export interface DraftReferences {
  profile: LedgerProfile;
  accounts: Map<string, AccountReference>;
  category: CategoryReference | undefined;
}

interface ReferenceRow {
  ref: 'profile' | 'account' | 'category';
  id: string | null;
  name: string;
  detail: string;
  archived: boolean | null;
}

/**
 * The user's profile and the accounts and category a write names, in one round trip instead of
 * three (bench/: on two cores each statement's socket send is a measurable share of a write).
 * Accounts and category are share-locked, as findAccount and findCategory lock them, so none
 * can be archived or deleted under the write.
 */
export async function draftReferences(
  manager: EntityManager,
  userId: string,
  ids: { accountIds: string[]; categoryId: string | null },
): Promise<DraftReferences> {
  const rows: ReferenceRow[] = await manager.query(
    `WITH locked_accounts AS (
       SELECT id, name, currency, archived FROM accounts
        WHERE user_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR SHARE),
     locked_category AS (
       SELECT id, name, kind FROM categories WHERE user_id = $1 AND id = $3::uuid FOR SHARE)
     SELECT 'profile' AS ref, NULL::uuid AS id, base_currency AS name, timezone AS detail, NULL::boolean AS archived
       FROM user_profiles WHERE user_id = $1
     UNION ALL SELECT 'account', id, name, currency, archived FROM locked_accounts
     UNION ALL SELECT 'category', id, name, kind, NULL FROM locked_category`,
    [userId, ids.accountIds, ids.categoryId],
  );
  const references: DraftReferences = {
    profile: FALLBACK_PROFILE,
    accounts: new Map(),
    category: undefined,
  };
  for (const row of rows) {
    if (row.ref === 'profile') references.profile = { baseCurrency: row.name, timezone: row.detail };
    else if (row.ref === 'account')
      references.accounts.set(row.id!, {
        id: row.id!,
        name: row.name,
        currency: row.detail,
        archived: row.archived === true,
      });
    else references.category = { id: row.id!, name: row.name, kind: row.detail as CategoryKind };
  }
  return references;
}
