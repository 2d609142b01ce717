import { allocateProportionally, formatMinorUnits } from '@finance/shared';
import { categoryFits, type CategoryKind } from './categories';
import { storableMinorUnits } from './money';
import { RuleViolation, type FieldProblem } from './problems';
import type { SplitDraft, TransactionType } from './transactions';

/** A split has at least two parts (one part is just the transaction) and at most this many. */
export const SPLIT_PARTS_MIN = 2;
export const SPLIT_PARTS_MAX = 100;

/**
 * Where a rule about parts points: the whole list (`splits`) or one part's field, as
 * `splits[i].amount` / `splits[i].categoryId` (the HTTP layer turns it into `body.splits[i].category_id`).
 */
export type SplitField = 'splits' | `splits[${number}].${'amount' | 'categoryId'}`;

/** One stored part: its share of the amount and of the base amount, in minor units. */
export interface SplitValues {
  amountMinor: bigint;
  baseAmountMinor: bigint;
  categoryId: string | null;
  notes: string | null;
  tags: string[];
}

/** The transaction a split divides, once its own rules have passed. */
export interface SplitTarget {
  type: TransactionType;
  currency: string;
  amountMinor: bigint;
  baseAmountMinor: bigint;
}

/**
 * The parts of a transaction checked and priced, or [] when it is not split. The one place parts
 * are judged, whoever made them (a client, a rule, an import):
 * - a transfer is never split (it moves money, it spends none) — 400;
 * - 2 to 100 parts, each a positive amount in the transaction's currency with no more decimals
 *   than it has — 400;
 * - the parts sum exactly to the amount — 400, naming both sums;
 * - each category is the user's (404) and fits the transaction's type (422), as the
 *   transaction's own category must.
 * The base amounts are the transaction's base amount allocated over the parts in proportion to
 * their amounts by largest remainder ({@link allocateProportionally}): exact, and they sum to it.
 */
export function resolveSplits(
  drafts: readonly SplitDraft[] | null | undefined,
  target: SplitTarget,
  categories: ReadonlyMap<string, { name: string; kind: CategoryKind }>,
): SplitValues[] {
  if (!drafts || drafts.length === 0) return [];
  if (target.type === 'transfer')
    throw invalid('A transfer cannot be split: it moves money between accounts and spends none', [
      { field: 'splits', message: 'A transfer has no parts; send splits: null or []' },
    ]);
  if (drafts.length < SPLIT_PARTS_MIN || drafts.length > SPLIT_PARTS_MAX)
    throw invalid(`A split has ${SPLIT_PARTS_MIN} to ${SPLIT_PARTS_MAX} parts, not ${drafts.length}`, [
      { field: 'splits', message: `Must have ${SPLIT_PARTS_MIN} to ${SPLIT_PARTS_MAX} parts` },
    ]);

  const amounts = drafts.map((part, i) => {
    const field: SplitField = `splits[${i}].amount`;
    const minor = storableMinorUnits<SplitField>(part.amount, target.currency, field);
    if (minor <= 0n)
      throw invalid('A part of a split is a positive amount', [{ field, message: 'Must be > 0' }]);
    return minor;
  });
  const sum = amounts.reduce((a, m) => a + m, 0n);
  if (sum !== target.amountMinor) {
    const parts = formatMinorUnits(sum, target.currency);
    const whole = formatMinorUnits(target.amountMinor, target.currency);
    throw invalid(
      `The parts sum to ${parts} ${target.currency}, not to the amount ${whole}; a split's parts sum exactly to its amount (changing the amount of a split transaction needs its splits too)`,
      [{ field: 'splits', message: `Parts sum to ${parts}, must sum to ${whole}` }],
    );
  }

  drafts.forEach((part, i) => {
    if (part.categoryId === null) return;
    const field: SplitField = `splits[${i}].categoryId`;
    const category = categories.get(part.categoryId);
    if (!category)
      throw new RuleViolation<SplitField>('not_found', 'Category not found', [
        { field, message: 'No such category' },
      ]);
    if (!categoryFits(category.kind, target.type))
      throw new RuleViolation<SplitField>(
        'unprocessable',
        `The category "${category.name}" is for ${category.kind} transactions, not ${target.type}`,
        [{ field, message: `A ${category.kind} category cannot hold a ${target.type}` }],
      );
  });

  const baseAmounts = splitBaseAmounts(target.baseAmountMinor, amounts);
  return drafts.map((part, i) => ({
    amountMinor: amounts[i],
    baseAmountMinor: baseAmounts[i],
    categoryId: part.categoryId,
    notes: part.notes,
    tags: [...new Set(part.tags)],
  }));
}

/**
 * The parts' shares of the base amount: allocated in proportion to the parts' amounts by largest
 * remainder (exact; they sum to the base amount). Also what a change of base currency re-prices
 * the parts with.
 */
export function splitBaseAmounts(baseAmountMinor: bigint, partAmountsMinor: readonly bigint[]): bigint[] {
  return allocateProportionally(baseAmountMinor, partAmountsMinor);
}

/** The categories a draft's parts name (to look them up with the transaction's own). */
export function splitCategoryIds(drafts: readonly SplitDraft[] | null | undefined): string[] {
  return [...new Set((drafts ?? []).map((p) => p.categoryId).filter((id): id is string => id !== null))];
}

function invalid(detail: string, problems: FieldProblem<SplitField>[]): RuleViolation<SplitField> {
  return new RuleViolation('invalid', detail, problems);
}
