import client from 'prom-client';
import { z } from 'zod';
import { metricsRegistry, type Logger } from '@finance/shared/http';
import { RevocationList } from '../domain/revocation-list';

/** Rows auth sends at most per answer (the contract); a full page means more may follow at once. */
export const REVOCATION_PAGE_SIZE = 1000;
/** Pages one poll follows before leaving the rest to the next poll, so a poll always ends. */
const MAX_PAGES_PER_POLL = 50;
/** 1000 rows are ~150 KB; anything far larger is not a feed answer and is not read to the end. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** `GET /internal/session-revocations` on auth, as the contract defines it. */
export const revocationAnswerSchema = z
  .object({
    revocations: z
      .array(
        z.object({
          seq: z.number().int().min(0),
          user_id: z.uuid(),
          session_version: z.number().int().min(0),
          at: z.iso.datetime({ offset: true }),
        }),
      )
      .max(REVOCATION_PAGE_SIZE),
    last_seq: z.number().int().min(0),
    retention_seconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600),
  })
  .refine(
    (answer) =>
      answer.revocations.every(
        (row, i) => row.seq <= answer.last_seq && (i === 0 || row.seq > answer.revocations[i - 1].seq),
      ),
    { message: 'rows must be in increasing seq order, none past last_seq' },
  );
export type RevocationAnswer = z.output<typeof revocationAnswerSchema>;

/** What the token check needs of the feed. */
export interface RevocationCheck {
  /** The session version a token of `userId` needs at least, if a revocation of theirs is known. */
  minimumSessionVersion(userId: string): number | undefined;
}

export interface RevocationFeedOptions {
  /** Auth's base URL (AUTH_URL). */
  authUrl: string;
  pollMs: number;
  fetchTimeoutMs: number;
  maxUsers: number;
  logger: Logger;
}

const lastSuccess = new client.Gauge({
  name: 'gateway_revocation_feed_last_success_seconds',
  help: "Unix time of the gateway's last successful read of auth's revocation feed",
  registers: [metricsRegistry],
});
const trackedUsers = new client.Gauge({
  name: 'gateway_revocations_tracked_users',
  help: 'Users with a recent revocation the gateway refuses older tokens of',
  registers: [metricsRegistry],
});

class FeedUnavailable extends Error {}

/**
 * Follows auth's revocation feed so that a revoked access token is refused at the edge
 * within a poll interval. It polls `after=<last_seq>`, pages through full answers, keeps per
 * user the highest session version for the feed's retention (bounded by `maxUsers`), and:
 * - ignores (and logs) an answer that is not what the contract says, changing nothing;
 * - keeps what it knows while auth is unreachable (the services check tokens themselves);
 * - fetches everything again, and replaces what it holds, when `last_seq` goes backwards
 *   (auth was restored from a backup and its session versions with it).
 */
export class RevocationFeed implements RevocationCheck {
  private list: RevocationList;
  /** The `last_seq` applied so far; undefined until everything retained has been read once. */
  private cursor: number | undefined;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopped = false;
  private abort = new AbortController();
  private lastProblem = '';

  constructor(private readonly options: RevocationFeedOptions) {
    this.list = new RevocationList({ maxUsers: options.maxUsers });
  }

  /** Polls now and then every `pollMs` after the previous poll ended; the timer never holds the process open. */
  start(): this {
    if (this.timer || this.polling) return this;
    this.stopped = false;
    this.abort = new AbortController();
    const loop = () => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.options.pollMs).unref();
      });
    };
    loop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.polling;
  }

  minimumSessionVersion(userId: string): number | undefined {
    return this.list.minimumSessionVersion(userId);
  }

  /** Why the last poll could not be used (auth unreachable, a malformed answer…); undefined after a good one. */
  get problem(): string | undefined {
    return this.lastProblem || undefined;
  }

  /** Users currently remembered. */
  get size(): number {
    return this.list.size;
  }

  /** One poll: every page that is ready, or nothing at all if an answer is unusable. Never throws. */
  async poll(): Promise<void> {
    try {
      if (this.cursor === undefined) await this.readEverything();
      else await this.readNewRows(this.cursor);
      lastSuccess.set(Date.now() / 1000);
      trackedUsers.set(this.list.size);
      if (this.lastProblem) this.options.logger.info('revocation feed readable again');
      this.lastProblem = '';
    } catch (error) {
      if (this.stopped) return;
      const reason = error instanceof Error ? error.message : String(error);
      // One line per distinct problem, not one per poll.
      if (reason !== this.lastProblem)
        this.options.logger.warn(
          { reason },
          'revocation feed unusable; keeping the revocations already known',
        );
      this.lastProblem = reason;
    }
  }

  private async readNewRows(after: number): Promise<void> {
    let cursor = after;
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const answer = await this.fetchPage(cursor);
      if (answer.last_seq < cursor) {
        this.options.logger.warn(
          { held: cursor, lastSeq: answer.last_seq },
          'revocation feed went backwards (auth restored?): reading it all again',
        );
        return this.readEverything();
      }
      if (answer.revocations.some((row) => row.seq <= cursor))
        throw new FeedUnavailable(`rows at or before after=${cursor}`);
      this.applyTo(this.list, answer);
      this.cursor = cursor = answer.last_seq;
      if (answer.revocations.length < REVOCATION_PAGE_SIZE) return;
    }
  }

  /** Reads all retained rows into a fresh list and swaps it in only once every page arrived. */
  private async readEverything(): Promise<void> {
    const fresh = new RevocationList({ maxUsers: this.options.maxUsers });
    let cursor: number | undefined;
    for (let page = 0; ; page++) {
      const answer = await this.fetchPage(cursor);
      if (cursor !== undefined && answer.revocations.some((row) => row.seq <= (cursor as number)))
        throw new FeedUnavailable(`rows at or before after=${cursor}`);
      this.applyTo(fresh, answer);
      const full = answer.revocations.length === REVOCATION_PAGE_SIZE;
      const progressed = cursor === undefined || answer.last_seq > cursor;
      cursor = answer.last_seq;
      if (!full || !progressed) break;
      if (page + 1 >= MAX_PAGES_PER_POLL) throw new FeedUnavailable('more pages than one poll reads');
    }
    this.list = fresh;
    this.cursor = cursor;
  }

  private applyTo(list: RevocationList, answer: RevocationAnswer): void {
    const forgotten = list.apply(
      answer.revocations.map((row) => ({ userId: row.user_id, sessionVersion: row.session_version })),
      answer.retention_seconds * 1000,
    );
    if (forgotten > 0)
      this.options.logger.warn(
        { forgotten, maxUsers: this.options.maxUsers },
        'REVOCATION_MAX_USERS reached: the oldest revocations are left to the services to enforce',
      );
  }

  private async fetchPage(after: number | undefined): Promise<RevocationAnswer> {
    const url = new URL('/internal/session-revocations', this.options.authUrl);
    if (after !== undefined) url.searchParams.set('after', String(after));
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.fetchTimeoutMs)]),
      });
    } catch (error) {
      throw new FeedUnavailable(
        `auth unreachable: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`,
      );
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new FeedUnavailable(`auth answered ${response.status}`);
    }
    const text = await readCapped(response, MAX_ANSWER_BYTES);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new FeedUnavailable('the answer is not JSON');
    }
    const parsed = revocationAnswerSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FeedUnavailable(`malformed answer: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return parsed.data;
  }
}

/** The body as text, refusing (without reading on) one larger than `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new FeedUnavailable(`the answer is larger than ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    // Leaving the loop by throwing cancels the rest of the stream.
    if (size > maxBytes) throw new FeedUnavailable(`the answer is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
