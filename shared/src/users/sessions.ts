import type { DataSource } from 'typeorm';
import type { AuthenticatedUser } from '../http/authenticate';

/** Tells whether auth has revoked a verified token (password change, logout-all, deactivation, deletion). */
export interface SessionCheck {
  isRevoked(user: AuthenticatedUser): Promise<boolean>;
}

interface Known {
  /** undefined: auth told this service nothing of the user (a new user: nothing to revoke). */
  sessionVersion?: number;
  blocked: boolean;
  until: number;
}

export interface DirectorySessionsOptions {
  /** This replica's consumer: a user event it applies drops that user's cached state at once. */
  consumer?: {
    events: { on(event: 'applied', listener: (event: { type: string; userId: string }) => void): unknown };
  };
  /** How long one replica trusts what it read: revocation reaches every replica within this. */
  cacheTtlMs?: number;
  /** Users remembered at once; the oldest go first. */
  maxEntries?: number;
}

/**
 * Token revocation from the service's own user directory (fed by `auth.user.*`): a token whose
 * session version (`sv`) is below the user's, or any token of a deleted or deactivated user, is
 * refused. What was read is kept a second (default), so a burst of requests costs one lookup per
 * user; the replica that applies a user's event forgets it at once, every other replica within
 * that second (plus the event's lag).
 */
export class DirectorySessions implements SessionCheck {
  private readonly known = new Map<string, Known>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly dataSource: DataSource,
    options: DirectorySessionsOptions = {},
  ) {
    this.ttlMs = options.cacheTtlMs ?? 1_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    options.consumer?.events.on('applied', (event) => {
      if (event.type.startsWith('auth.user.')) this.known.delete(event.userId);
    });
  }

  async isRevoked(user: AuthenticatedUser): Promise<boolean> {
    const state = await this.stateOf(user.id);
    if (state.blocked) return true;
    return state.sessionVersion !== undefined && user.sessionVersion < state.sessionVersion;
  }

  private async stateOf(userId: string): Promise<Known> {
    const now = Date.now();
    const cached = this.known.get(userId);
    if (cached && cached.until > now) return cached;
    const rows: Array<{ session_version: number; is_active: boolean; deleted_at: Date | null }> =
      await this.dataSource.query(
        `SELECT session_version, is_active, deleted_at FROM user_directory WHERE user_id = $1`,
        [userId],
      );
    const row = rows[0];
    const state: Known = row
      ? {
          sessionVersion: row.session_version,
          blocked: row.deleted_at !== null || !row.is_active,
          until: now + this.ttlMs,
        }
      : { blocked: false, until: now + this.ttlMs };
    this.known.delete(userId);
    if (this.known.size >= this.maxEntries) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.set(userId, state);
    return state;
  }
}
