import type { DataSource, EntityManager } from 'typeorm';
import { newId } from '@finance/shared';
import {
  decideRefresh,
  hashRefreshToken,
  newRefreshToken,
  openSuccessor,
  sealSuccessor,
  type IssuedPair,
  type RefreshDecision,
} from '../domain/refresh-tokens';
import { RefreshToken, RefreshTokenFamily, User } from './entities';

export type RotationResult =
  /** `replayed`: the same pair a rotation of this token issued moments ago, from the same client (grace window). */
  | { outcome: 'rotated' | 'replayed'; userId: string; pair: IssuedPair }
  /** A used token presented again: its family is revoked (the user's, for the audit log). */
  | { outcome: 'reused'; userId: string }
  | { outcome: Exclude<RefreshDecision, 'rotate' | 'replay-in-grace' | 'reused'> | 'inactive' };

/** Signs the access token of the pair a rotation issues, at the rotation's `now`. */
export type AccessTokenIssuer = (user: User, now: Date) => { token: string; expiresAtMs: number };

export async function revokeAllFamilies(
  manager: EntityManager,
  userId: string,
  reason: string,
  at: Date,
): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(RefreshTokenFamily)
    .set({ revokedAt: at, revokedReason: reason })
    .where('user_id = :userId AND revoked_at IS NULL', { userId })
    .execute();
}

async function revokeFamily(
  manager: EntityManager,
  familyId: string,
  reason: string,
  at: Date,
): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(RefreshTokenFamily)
    .set({ revokedAt: at, revokedReason: reason })
    .where('id = :familyId AND revoked_at IS NULL', { familyId })
    .execute();
}

export interface RefreshTokenPolicy {
  ttlDays: number;
  /** How long a just-used token presented again from the same address gets the same pair (0: never). */
  reuseGraceMs: number;
  /** "Now": expiry, uses and the grace window are measured with it. */
  clock: () => Date;
}

/**
 * Refresh tokens in families: a login starts a family, every refresh replaces the presented
 * token with a new one in the same family, and a replayed (already used) token revokes the
 * whole family, so a stolen token is worth at most one use (RFC 9700 §4.14.2).
 */
export class RefreshTokenStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly policy: RefreshTokenPolicy,
  ) {}

  private expiry(now: Date): Date {
    return new Date(now.getTime() + this.policy.ttlDays * 86_400_000);
  }

  private async addToken(manager: EntityManager, familyId: string, now: Date): Promise<string> {
    const { token, hash } = newRefreshToken();
    await manager.getRepository(RefreshToken).insert({
      id: newId(),
      familyId,
      tokenHash: hash,
      expiresAt: this.expiry(now),
      usedAt: null,
      usedBy: null,
      successorSealed: null,
      createdAt: now,
    });
    return token;
  }

  /**
   * Starts a family for a fresh login and returns its first token — only if the user's session
   * version is still the one the login read (and the user still active): a password change or
   * logout-all committing while the password was being checked must not be outlived by a family
   * born from the old state. The share lock waits for such a bump to commit. Undefined otherwise.
   */
  async startFamily(user: Pick<User, 'id' | 'sessionVersion'>): Promise<string | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const [current]: Array<{ session_version: number; is_active: boolean }> = await manager.query(
        `SELECT session_version, is_active FROM users WHERE id = $1 FOR SHARE`,
        [user.id],
      );
      if (!current || !current.is_active || current.session_version !== user.sessionVersion) return undefined;
      const now = this.policy.clock();
      const familyId = newId();
      await manager
        .getRepository(RefreshTokenFamily)
        .insert({ id: familyId, userId: user.id, createdAt: now, revokedAt: null, revokedReason: null });
      return this.addToken(manager, familyId, now);
    });
  }

  /**
   * Exchanges a token for the next one of its family. The row lock serialises concurrent uses of
   * one token: the first rotates it; the others, if they come from the same client address within
   * the grace window, get the very pair the first was issued (two tabs, or a retry after a lost
   * answer); any other use of a used token is reuse and revokes the family — a revocation that
   * commits even though the caller then answers 401.
   */
  async rotate(
    presented: string,
    client: { clientIp: string; issueAccessToken: AccessTokenIssuer },
  ): Promise<RotationResult> {
    return this.dataSource.transaction(async (manager) => {
      const token = await manager
        .getRepository(RefreshToken)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.token_hash = :hash', { hash: hashRefreshToken(presented) })
        .getOne();
      // The family row is locked too: a session bump (password change, logout-all, …) revokes
      // families under their lock, so a rotation either ends before it (and its access token
      // carries the old `sv`, refused after the bump) or sees the family revoked.
      const family = token
        ? await manager
            .getRepository(RefreshTokenFamily)
            .createQueryBuilder('f')
            .setLock('pessimistic_write')
            .where('f.id = :id', { id: token.familyId })
            .getOne()
        : null;
      if (!token || !family) return { outcome: 'unknown' };
      // Read once the locks are held: a request that waited for a racing rotation compares
      // against the moment it got the token, not the moment it arrived.
      const now = this.policy.clock();
      const decision = decideRefresh(
        {
          usedAt: token.usedAt,
          expiresAt: token.expiresAt,
          familyRevokedAt: family.revokedAt,
          usedBy: token.usedBy,
          hasSuccessor: token.successorSealed !== null,
        },
        now,
        { clientIp: client.clientIp, graceMs: this.policy.reuseGraceMs },
      );
      if (decision === 'replay-in-grace') {
        const pair = token.successorSealed ? openSuccessor(presented, token.successorSealed) : undefined;
        if (pair) return { outcome: 'replayed', userId: family.userId, pair };
      }
      if (decision === 'reused' || decision === 'replay-in-grace') {
        await revokeFamily(manager, family.id, 'reuse-detected', now);
        return { outcome: 'reused', userId: family.userId };
      }
      if (decision !== 'rotate') return { outcome: decision };
      const user = await manager.getRepository(User).findOneBy({ id: family.userId });
      if (!user || !user.isActive) {
        await revokeFamily(manager, family.id, 'inactive', now);
        return { outcome: 'inactive' };
      }
      const refreshToken = await this.addToken(manager, family.id, now);
      const access = client.issueAccessToken(user, now);
      const pair = { accessToken: access.token, refreshToken, accessExpiresAtMs: access.expiresAtMs };
      await manager.getRepository(RefreshToken).update(
        { id: token.id },
        {
          usedAt: now,
          usedBy: client.clientIp,
          successorSealed: this.policy.reuseGraceMs > 0 ? sealSuccessor(presented, pair) : null,
        },
      );
      return { outcome: 'rotated', userId: user.id, pair };
    });
  }

  /** Logout: the family of the presented token ends. Unknown tokens are ignored (logout is idempotent). */
  async revokeFamilyOf(presented: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const token = await manager
        .getRepository(RefreshToken)
        .findOneBy({ tokenHash: hashRefreshToken(presented) });
      if (!token) return false;
      await revokeFamily(manager, token.familyId, 'logout', this.policy.clock());
      return true;
    });
  }

  /** Housekeeping: a sealed pair is of no use once its grace window is over. */
  async forgetSealedPairs(): Promise<void> {
    await this.dataSource.query(
      `UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND used_at < $1`,
      [new Date(this.policy.clock().getTime() - this.policy.reuseGraceMs)],
    );
  }

  /** Housekeeping: families whose every token expired are of no use anymore. */
  async pruneExpired(): Promise<number> {
    const result = await this.dataSource.query(
      `DELETE FROM refresh_token_families f
        WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id AND t.expires_at > $1)`,
      [this.policy.clock()],
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }
}
