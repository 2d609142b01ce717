/**
 * Why a request breaks a ledger rule, in the domain's own words. Rules name the fields they
 * judge as the domain calls them (`accountId`, `openingBalance`); the HTTP layer turns a
 * violation into a status and the wire's field paths (`body.account_id`, `query.account_id`).
 */

/** invalid → 400, not_found → 404, conflict → 409 (the state forbids it), unprocessable → 422. */
export type ViolationKind = 'invalid' | 'not_found' | 'conflict' | 'unprocessable';

export interface FieldProblem<Field extends string = string> {
  field: Field;
  message: string;
}

export class RuleViolation<Field extends string = string> extends Error {
  constructor(
    readonly kind: ViolationKind,
    readonly detail: string,
    readonly problems: ReadonlyArray<FieldProblem<Field>> = [],
  ) {
    super(detail);
    this.name = 'RuleViolation';
  }
}

/** The same answer whether the thing is missing or someone else's (ids never leak across users). */
export function notFoundIn<Field extends string>(what: string, field: Field): RuleViolation<Field> {
  return new RuleViolation('not_found', `${what} not found`, [
    { field, message: `No such ${what.toLowerCase()}` },
  ]);
}

/** A resource addressed by the path that the caller does not have. */
export function missing(what: string): RuleViolation {
  return new RuleViolation('not_found', `${what} not found`);
}
