import type { Request } from 'express';
import { HttpProblem, checkIfMatch } from '@finance/shared';
import { RuleViolation } from '../domain/problems';
import type { VersionCheck } from '../use-cases/version-check';

const STATUS_OF = { invalid: 400, not_found: 404, conflict: 409, unprocessable: 422 } as const;

/** Where each field a rule may name arrives on the wire, for one route (`accountId` → `body.account_id`). */
export type WirePaths<Field extends string> = Readonly<Record<Field, string>>;

/** A rule violation as the problem+json answer naming the wire's field paths. */
export function problemOf(violation: RuleViolation, paths: Readonly<Record<string, string>>): HttpProblem {
  const errors = violation.problems.map((p) => ({ field: wirePathOf(p.field, paths), message: p.message }));
  return new HttpProblem(STATUS_OF[violation.kind], violation.detail, {
    errors: errors.length ? errors : undefined,
  });
}

/**
 * A field's wire path; a field inside a list item (`splits[1].categoryId`) maps its list through
 * `paths` and names the item's member as the wire does (`body.splits[1].category_id`).
 */
function wirePathOf(field: string, paths: Readonly<Record<string, string>>): string {
  if (paths[field]) return paths[field];
  const item = /^(\w+)(\[\d+\])\.(\w+)$/.exec(field);
  if (!item || !paths[item[1]]) return field;
  return `${paths[item[1]]}${item[2]}.${item[3].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
}

/** Runs a use case; a rule it finds broken becomes the problem answer, fields named as the route takes them. */
export async function callUseCase<T>(
  paths: Readonly<Record<string, string>>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RuleViolation) throw problemOf(error, paths);
    throw error;
  }
}

/** The request's If-Match as a use case's version check (absent: any version; stale: 412). */
export function ifMatchOf(req: Request): VersionCheck {
  return (currentVersion) => checkIfMatch(req, currentVersion);
}
