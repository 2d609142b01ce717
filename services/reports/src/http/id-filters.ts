import { HttpProblem, type ReadYourWrites } from '@finance/shared';
import type { EntityManager } from 'typeorm';
import { ownsAccount, ownsCategory, type OwnershipCheck } from '../data/ownership';

const CHECKS: Record<'account_id' | 'category_id', { what: string; owns: OwnershipCheck }> = {
  account_id: { what: 'Account', owns: ownsAccount },
  category_id: { what: 'Category', owns: ownsCategory },
};

/**
 * Every id filter of a request must name one of the caller's own accounts / categories: else a
 * 404 problem naming each offending parameter (`query.account_id`), the same answer for another
 * user's id and for an unknown one. An id the read model has not seen may be one the ledger created
 * a moment ago: `readYourWrites` waits (bounded) for its event; an older unknown id is a 404 at once.
 * `uncategorized` is not an id and needs no check.
 */
export async function requireOwnIds(
  readYourWrites: ReadYourWrites,
  manager: EntityManager,
  userId: string,
  filters: { account_id?: string; category_id?: string },
): Promise<void> {
  const checked = await Promise.all(
    (Object.keys(CHECKS) as Array<keyof typeof CHECKS>)
      .filter((parameter) => filters[parameter] !== undefined && filters[parameter] !== 'uncategorized')
      .map(async (parameter) => {
        const id = filters[parameter] as string;
        const owned = await readYourWrites.find(id, () => CHECKS[parameter].owns(manager, userId, id));
        return { parameter, owned: owned === true };
      }),
  );
  const missing = checked.filter((c) => !c.owned);
  if (missing.length === 0) return;
  throw new HttpProblem(404, missing.map((m) => `${CHECKS[m.parameter].what} not found`).join('; '), {
    errors: missing.map((m) => ({
      field: `query.${m.parameter}`,
      message: `No such ${CHECKS[m.parameter].what.toLowerCase()} of yours`,
    })),
  });
}
