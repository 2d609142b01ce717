import { QueryFailedError } from 'typeorm';

/** PostgreSQL's SQLSTATE for `unique_violation`. */
const UNIQUE_VIOLATION = '23505';

export interface UniqueViolation {
  /** The unique index or constraint that refused the row (`categories_user_name`), when PostgreSQL names one. */
  constraint: string | undefined;
}

/**
 * The unique constraint a failed statement broke, or undefined for any other error. Takes
 * TypeORM's `QueryFailedError` (which wraps the driver's error) as well as a bare `pg` error,
 * so a service maps "already exists" to a 409 naming the field instead of comparing codes by hand.
 */
export function uniqueViolation(error: unknown): UniqueViolation | undefined {
  const driverError: unknown = error instanceof QueryFailedError ? error.driverError : error;
  if (typeof driverError !== 'object' || driverError === null) return undefined;
  const { code, constraint } = driverError as { code?: unknown; constraint?: unknown };
  if (code !== UNIQUE_VIOLATION) return undefined;
  return { constraint: typeof constraint === 'string' ? constraint : undefined };
}
