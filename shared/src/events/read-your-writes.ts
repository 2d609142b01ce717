import { idCreatedAt } from '../ids';
import type { EventConsumer } from './consumer';

export interface ReadYourWritesOptions {
  /**
   * How long after an id was created its event may still be on its way here: the longest a lookup
   * waits. Measured lag is 15–80 ms (docs/performance.md); the default leaves room for a loaded host.
   */
  maxWaitMs?: number;
  /** How often a waiting lookup asks again, for events other replicas of this service applied. */
  pollMs?: number;
}

/**
 * Read-your-writes across services, one mechanism for every service that keeps a read model of
 * another's data. A client that created a category and at once posts a budget on it must not get
 * 404 because budgets has not applied `ledger.category.created` yet.
 *
 * `find(id, lookup)` answers from the read model at once when it can. When the id is unknown, it
 * waits only if the id could be one whose event is still on its way: ids are UUIDv7 (`newId`), which
 * carry their creation time, so an id created within the last `maxWaitMs` is waited for — until the
 * lookup finds it (asked again after every event this replica applies, and every `pollMs` for
 * events other replicas apply), or until `maxWaitMs` after its creation. Any other unknown id (older,
 * from the future, not a v7, a typo) answers "not found" at once. A genuinely foreign id therefore
 * costs at most `maxWaitMs` once, right after someone created it, and never more.
 */
export class ReadYourWrites {
  private readonly maxWaitMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly consumer: Pick<EventConsumer, 'events'> | undefined,
    options: ReadYourWritesOptions = {},
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 2_000;
    this.pollMs = options.pollMs ?? 50;
  }

  /** How long an unknown `id` is worth waiting for, from now (0: answer at once). */
  waitFor(id: string, now = Date.now()): number {
    const createdAt = idCreatedAt(id);
    if (createdAt === undefined) return 0;
    // A creation time ahead of our clock by more than a little skew is made up, not fresh.
    if (createdAt > now + 1_000) return 0;
    return Math.max(0, Math.min(this.maxWaitMs, createdAt + this.maxWaitMs - now));
  }

  async find<T>(id: string, lookup: () => Promise<T | undefined>): Promise<T | undefined> {
    const found = await lookup();
    if (found !== undefined) return found;
    const waitMs = this.waitFor(id);
    if (waitMs === 0) return undefined;
    return this.waitUntilFound(lookup, Date.now() + waitMs);
  }

  private waitUntilFound<T>(lookup: () => Promise<T | undefined>, deadline: number): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      let settled = false;
      let looking = false;
      let again = false;
      const finish = (value: T | undefined, error?: unknown) => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        clearTimeout(timeout);
        this.consumer?.events.off('applied', look);
        if (error !== undefined) reject(error);
        else resolve(value);
      };
      const look = () => {
        if (settled) return;
        if (looking) {
          again = true;
          return;
        }
        looking = true;
        lookup().then(
          (value) => {
            looking = false;
            if (value !== undefined) return finish(value);
            if (Date.now() >= deadline) return finish(undefined);
            if (again) {
              again = false;
              look();
            }
          },
          (error: unknown) => finish(undefined, error),
        );
      };
      const poll = setInterval(look, this.pollMs);
      // One last look at the deadline, so an event applied in the final moments still counts.
      const timeout = setTimeout(look, Math.max(0, deadline - Date.now()));
      this.consumer?.events.on('applied', look);
    });
  }
}
