/** One row of auth's revocation feed: tokens of `userId` with `sv` below `sessionVersion` are invalid. */
export interface Revocation {
  userId: string;
  sessionVersion: number;
}

interface Entry {
  sessionVersion: number;
  expiresAtMs: number;
}

export interface RevocationListOptions {
  /** Users remembered at most; beyond it the entry that would expire first is forgotten. */
  maxUsers: number;
  now?: () => number;
}

/**
 * What the gateway knows of recent revocations: per user, the lowest session version a token
 * must carry. An entry lives for the feed's retention from when the gateway learned of it (a
 * token it refuses lives no longer than that, whatever the two clocks say), and at most
 * `maxUsers` are kept. Entries are kept in the order they were last written, which is the
 * order they expire in, so forgetting the oldest is O(1).
 */
export class RevocationList {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: RevocationListOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Applies feed rows; returns how many users were forgotten to stay within `maxUsers`. */
  apply(rows: readonly Revocation[], retentionMs: number): number {
    this.forgetExpired();
    const expiresAtMs = this.now() + retentionMs;
    let forgotten = 0;
    for (const row of rows) {
      const held = this.entries.get(row.userId);
      if (held && held.sessionVersion > row.sessionVersion) continue;
      // Re-inserted at the end: the newest write expires last.
      this.entries.delete(row.userId);
      if (this.entries.size >= this.options.maxUsers) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
        forgotten++;
      }
      this.entries.set(row.userId, { sessionVersion: row.sessionVersion, expiresAtMs });
    }
    return forgotten;
  }

  /** The session version a token of `userId` needs at least, if a revocation of theirs is known. */
  minimumSessionVersion(userId: string): number | undefined {
    const entry = this.entries.get(userId);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= this.now()) {
      this.entries.delete(userId);
      return undefined;
    }
    return entry.sessionVersion;
  }

  /** Whether a token of `userId` carrying session version `sessionVersion` is revoked. */
  isRevoked(userId: string, sessionVersion: number): boolean {
    const minimum = this.minimumSessionVersion(userId);
    return minimum !== undefined && sessionVersion < minimum;
  }

  get size(): number {
    return this.entries.size;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [userId, entry] of this.entries) {
      if (entry.expiresAtMs > now) break;
      this.entries.delete(userId);
    }
  }
}
