import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  decideRefresh,
  hashRefreshToken,
  newRefreshToken,
  type RefreshDecision,
} from '../domain/refresh-tokens';
import { RefreshToken, RefreshTokenFamily, User } from './entities';

export type RotationResult =
  | { outcome: 'rotated'; user: User; refreshToken: string }
  | { outcome: Exclude<RefreshDecision, 'rotate'> | 'inactive' };

export async function revokeAllFamilies(
  manager: EntityManager,
  userId: string,
  reason: string,
): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(RefreshTokenFamily)
    .set({ revokedAt: () => 'now()', revokedReason: reason })
    .where('user_id = :userId AND revoked_at IS NULL', { userId })
    .execute();
}

async function revokeFamily(manager: EntityManager, familyId: string, reason: string): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(RefreshTokenFamily)
    .set({ revokedAt: () => 'now()', revokedReason: reason })
    .where('id = :familyId AND revoked_at IS NULL', { familyId })
    .execute();
}

/**
 * Refresh tokens in families: a login starts a family, every refresh replaces the presented
 * token with a new one in the same family, and a replayed (already used) token revokes the
 * whole family, so a stolen token is worth at most one use (RFC 9700 §4.14.2).
 */
export class RefreshTokenStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ttlDays: number,
  ) {}

  private expiry(now: Date): Date {
    return new Date(now.getTime() + this.ttlDays * 86_400_000);
  }

  private async addToken(manager: EntityManager, familyId: string, now: Date): Promise<string> {
    const { token, hash } = newRefreshToken();
    await manager.getRepository(RefreshToken).insert({
      id: randomUUID(),
      familyId,
      tokenHash: hash,
      expiresAt: this.expiry(now),
      usedAt: null,
      createdAt: now,
    });
    return token;
  }

  /** Starts a family for a fresh login and returns its first token. */
  async startFamily(userId: string): Promise<string> {
    return this.dataSource.transaction(async (manager) => {
      const now = new Date();
      const familyId = randomUUID();
      await manager
        .getRepository(RefreshTokenFamily)
        .insert({ id: familyId, userId, createdAt: now, revokedAt: null, revokedReason: null });
      return this.addToken(manager, familyId, now);
    });
  }

  /**
   * Exchanges a token for the next one of its family. The row lock makes two concurrent
   * uses of one token resolve as one rotation and one reuse. The revocation of a reused
   * token's family commits even though the caller then answers 401.
   */
  async rotate(presented: string): Promise<RotationResult> {
    return this.dataSource.transaction(async (manager) => {
      const now = new Date();
      const token = await manager
        .getRepository(RefreshToken)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.token_hash = :hash', { hash: hashRefreshToken(presented) })
        .getOne();
      const family = token
        ? await manager.getRepository(RefreshTokenFamily).findOneBy({ id: token.familyId })
        : null;
      if (!token || !family) return { outcome: 'unknown' };
      const decision = decideRefresh(
        { usedAt: token.usedAt, expiresAt: token.expiresAt, familyRevokedAt: family.revokedAt },
        now,
      );
      if (decision === 'reused') await revokeFamily(manager, family.id, 'reuse-detected');
      if (decision !== 'rotate') return { outcome: decision };
      const user = await manager.getRepository(User).findOneBy({ id: family.userId });
      if (!user || !user.isActive) {
        await revokeFamily(manager, family.id, 'inactive');
        return { outcome: 'inactive' };
      }
      await manager.getRepository(RefreshToken).update({ id: token.id }, { usedAt: now });
      const refreshToken = await this.addToken(manager, family.id, now);
      return { outcome: 'rotated', user, refreshToken };
    });
  }

  /** Logout: the family of the presented token ends. Unknown tokens are ignored (logout is idempotent). */
  async revokeFamilyOf(presented: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const token = await manager
        .getRepository(RefreshToken)
        .findOneBy({ tokenHash: hashRefreshToken(presented) });
      if (!token) return false;
      await revokeFamily(manager, token.familyId, 'logout');
      return true;
    });
  }

  /** Housekeeping: families whose every token expired are of no use anymore. */
  async pruneExpired(): Promise<number> {
    const result = await this.dataSource.query(
      `DELETE FROM refresh_token_families f
        WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id AND t.expires_at > now())`,
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }
}
