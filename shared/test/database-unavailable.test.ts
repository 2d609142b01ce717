import {
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { isDatabaseUnavailable } from '../src/http/error-handler';

/**
 * Which errors say "the database is unreachable right now" (a 503 with Retry-After) rather than
 * "this request is wrong or a bug" (a 500). The fault tests (npm run test:faults) found the
 * second row: a transaction whose connection was terminated mid-request.
 */
describe('isDatabaseUnavailable', () => {
  it('knows a terminated backend by its SQLSTATE, through TypeORM', () => {
    const driverError = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], driverError))).toBe(true);
  });

  it('knows the query runner TypeORM released under a transaction whose connection died', () => {
    expect(isDatabaseUnavailable(new QueryRunnerAlreadyReleasedError())).toBe(true);
    // The same, met through the entity manager of that transaction.
    expect(isDatabaseUnavailable(new QueryRunnerProviderAlreadyReleasedError())).toBe(true);
  });

  it('does not take a constraint violation or a plain bug for an outage', () => {
    const unique = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
    });
    expect(isDatabaseUnavailable(new QueryFailedError('INSERT', [], unique))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(
      false,
    );
  });
});
