import type { Request } from 'express';
import { HttpProblem, checkIfMatch } from '@finance/shared';
import { RuleViolation } from '../domain/problems';
import type { VersionCheck } from '../use-cases/version-check';

const STATUS_OF = { invalid: 400, not_found: 404, conflict: 409, unprocessable: 422 } as const;

/** Where each field a rule may name arrives on the wire, for one route (`accountId` → `body.account_id`). */
export type WirePaths<Field extends string> = Readonly<Record<Field, string>>;

/** A rule violation as the problem+json answer naming the wire's field paths. */
export function problemOf(violation: RuleViolation, paths: Readonly<Record<string, string>>): HttpProblem {
  const errors = violation.problems.map((p) => ({ field: paths[p.field] ?? p.field, message: p.message }));
  return new HttpProblem(STATUS_OF[violation.kind], violation.detail, {
    errors: errors.length ? errors : undefined,
  });
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
