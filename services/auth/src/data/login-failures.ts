import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { decideLogin, type ThrottleDecision, type ThrottlePolicy } from '../domain/login-throttle';
import { LoginFailure } from './entities';

/** Stored hashed: a mistyped password in the username field should not sit in a table. */
function accountKeyOf(identifier: string): string {
  return createHash('sha256').update(identifier, 'utf8').digest('hex');
}

/**
 * Failed logins recorded in the database, so the limit holds across replicas and restarts.
 * Keyed by the identifier tried (existing account or not) and by the client address.
 */
export class LoginFailures {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policy: ThrottlePolicy,
  ) {}

  /** The newest `limit` failures inside the window, oldest first: all the decision needs. */
  private async recent(
    column: 'account_key' | 'client_ip',
    value: string,
    since: Date,
    limit: number,
  ): Promise<Date[]> {
    const rows = await this.dataSource
      .getRepository(LoginFailure)
      .createQueryBuilder('f')
      .select('f.failed_at', 'failedAt')
      .where(`f.${column} = :value AND f.failed_at > :since`, { value, since })
      .orderBy('f.failed_at', 'DESC')
      .limit(limit)
      .getRawMany<{ failedAt: Date }>();
    return rows.map((row) => new Date(row.failedAt)).reverse();
  }

  async check(accountKey: string, clientIp: string): Promise<ThrottleDecision> {
    const now = new Date();
    const since = new Date(now.getTime() - this.policy.windowMs);
    const [account, ip] = await Promise.all([
      this.recent('account_key', accountKeyOf(accountKey), since, this.policy.maxFailuresPerAccount),
      this.recent('client_ip', clientIp, since, this.policy.maxFailuresPerIp),
    ]);
    return decideLogin(account, ip, this.policy, now);
  }

  async record(accountKey: string, clientIp: string): Promise<void> {
    await this.dataSource
      .getRepository(LoginFailure)
      .insert({ accountKey: accountKeyOf(accountKey), clientIp, failedAt: new Date() });
  }

  /** A successful login clears the account's count (not the address's: others may share it). */
  async clear(accountKey: string): Promise<void> {
    await this.dataSource.getRepository(LoginFailure).delete({ accountKey: accountKeyOf(accountKey) });
  }

  async pruneOlderThanWindow(): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(LoginFailure)
      .where('failed_at < :before', { before: new Date(Date.now() - this.policy.windowMs) })
      .execute();
  }
}
