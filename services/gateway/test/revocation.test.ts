import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { httpJson, startHttpServer, waitFor, type RunningServer } from '@finance/shared/testing';
import type { RunningGateway } from '../src/main';
import {
  startRecordingUpstream,
  startSessionTokenIssuer,
  startTestGateway,
  type RecordingUpstream,
} from './upstreams';

interface Row {
  seq: number;
  user_id: string;
  session_version: number;
  at: string;
}

/**
 * Auth's side of the revocation feed, as the contract says: `GET /internal/session-revocations
 * ?after=<seq>`, at most 1000 rows per answer in seq order, `last_seq` the last row's seq (or
 * the newest seq when there is nothing after `after`). `answer` may replace the answer, to
 * send what a broken auth would.
 */
class FeedServer {
  rows: Row[] = [];
  retentionSeconds = 960;
  /** The `after` of every request, undefined for "everything". */
  readonly requests: Array<number | undefined> = [];
  answer?: (res: ServerResponse) => void;
  private server?: RunningServer;

  async start(): Promise<this> {
    this.server = await startHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://auth');
      if (url.pathname !== '/internal/session-revocations') {
        res.statusCode = 404;
        return res.end('{}');
      }
      const after = url.searchParams.has('after') ? Number(url.searchParams.get('after')) : undefined;
      this.requests.push(after);
      if (this.answer) return this.answer(res);
      const page = this.rows.filter((row) => after === undefined || row.seq > after).slice(0, 1000);
      const newest = this.rows.at(-1)?.seq ?? 0;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          revocations: page,
          last_seq: page.at(-1)?.seq ?? newest,
          retention_seconds: this.retentionSeconds,
        }),
      );
    });
    return this;
  }

  get url(): string {
    return this.server!.url;
  }

  revoke(userId: string, sessionVersion: number): void {
    const seq = (this.rows.at(-1)?.seq ?? 0) + 1;
    this.rows.push({ seq, user_id: userId, session_version: sessionVersion, at: new Date().toISOString() });
  }

  /** Resolves once the gateway has asked `n` more times: what it got by then has been applied. */
  async polled(n = 2): Promise<void> {
    const target = this.requests.length + n;
    await waitFor(() => this.requests.length >= target, { description: `${n} more polls` });
  }

  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }
}

describe('token revocation at the edge', () => {
  let tokens: Awaited<ReturnType<typeof startSessionTokenIssuer>>;
  let feed: FeedServer;
  let ledger: RecordingUpstream;
  let gateway: RunningGateway;

  const statusOf = async (token: string) =>
    (await httpJson('GET', `${gateway.url}/accounts`, { token })).status;

  beforeAll(async () => {
    tokens = await startSessionTokenIssuer();
    ledger = await startRecordingUpstream('ledger');
  });

  beforeEach(async () => {
    feed = await new FeedServer().start();
    gateway = await startTestGateway({
      JWKS_URL: tokens.jwksUrl,
      AUTH_URL: feed.url,
      LEDGER_URL: ledger.url,
      REVOCATION_POLL_MS: '50',
      RATE_LIMIT_PER_MINUTE: '100000',
    });
  });

  afterEach(async () => {
    await gateway.stop();
    await feed.close();
  });

  afterAll(async () => {
    await Promise.all([ledger.close(), tokens.close()]);
  });

  it('refuses a token once the feed lists a newer session version for its user, within the poll interval', async () => {
    const user = randomUUID();
    const other = randomUUID();
    const old = tokens.token(user, 0);
    const withoutClaim = tokens.token(user);
    expect(await statusOf(old)).toBe(200);
    expect(await statusOf(withoutClaim)).toBe(200);

    feed.revoke(user, 1);
    await waitFor(async () => (await statusOf(old)) === 401, { description: 'the old token refused' });

    const before = ledger.received.length;
    const refused = await httpJson('GET', `${gateway.url}/accounts`, { token: old });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('www-authenticate')).toContain('invalid_token');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(refused.body.detail).toContain('revoked');
    // No claim means session version 0: revoked too.
    expect(await statusOf(withoutClaim)).toBe(401);
    expect(ledger.received).toHaveLength(before);
    // A token of the new session, and other users' tokens, pass.
    expect(await statusOf(tokens.token(user, 1))).toBe(200);
    expect(await statusOf(tokens.token(user, 2))).toBe(200);
    expect(await statusOf(tokens.token(other, 0))).toBe(200);
  });

  it('keeps the highest session version per user, and pages through full answers', async () => {
    const user = randomUUID();
    feed.revoke(user, 3);
    // 2,500 rows of other users after it, then an older row of the same user: three pages.
    for (let i = 0; i < 2_500; i++) feed.revoke(randomUUID(), 1);
    feed.revoke(user, 2);
    await waitFor(async () => (await statusOf(tokens.token(user, 2))) === 401);
    expect(await statusOf(tokens.token(user, 3))).toBe(200);
    expect(feed.requests).toEqual(expect.arrayContaining([1000, 2000]));
    expect(gateway.revocations.size).toBe(2_501);
  });

  it.each<[string, (res: ServerResponse) => void]>([
    ['HTML', (res) => res.end('<html>maintenance</html>')],
    ['JSON of another shape', (res) => res.end(JSON.stringify({ revocations: 'none', last_seq: 'x' }))],
    [
      'rows that are not uuids',
      (res) =>
        res.end(
          JSON.stringify({
            revocations: [{ seq: 99, user_id: 'everyone', session_version: 9, at: new Date().toISOString() }],
            last_seq: 99,
            retention_seconds: 960,
          }),
        ),
    ],
    [
      'rows out of order',
      (res) =>
        res.end(
          JSON.stringify({
            revocations: [
              { seq: 9, user_id: randomUUID(), session_version: 9, at: new Date().toISOString() },
              { seq: 8, user_id: randomUUID(), session_version: 9, at: new Date().toISOString() },
            ],
            last_seq: 9,
            retention_seconds: 960,
          }),
        ),
    ],
    ['a 500', (res) => ((res.statusCode = 500), res.end('{}'))],
    ['a body of 2 MB', (res) => res.end(`{"revocations":[${' '.repeat(2 * 1024 * 1024)}]}`)],
    ['a dropped connection', (res) => res.socket?.destroy()],
  ])('changes nothing when the feed answers %s', async (_name, answer) => {
    const revoked = randomUUID();
    feed.revoke(revoked, 1);
    const oldToken = tokens.token(revoked, 0);
    await waitFor(async () => (await statusOf(oldToken)) === 401);
    const held = gateway.revocations.size;

    feed.answer = answer;
    await feed.polled(3);
    expect(gateway.revocations.problem).toBeDefined();
    expect(await statusOf(oldToken)).toBe(401);
    expect(await statusOf(tokens.token(randomUUID(), 0))).toBe(200);
    expect(gateway.revocations.size).toBe(held);

    // Once auth answers properly again, new rows arrive as before.
    feed.answer = undefined;
    const next = randomUUID();
    feed.revoke(next, 1);
    await waitFor(async () => (await statusOf(tokens.token(next, 0))) === 401);
  });

  it('keeps what it knows while auth is unreachable', async () => {
    const user = randomUUID();
    feed.revoke(user, 1);
    await waitFor(async () => (await statusOf(tokens.token(user, 0))) === 401);
    await feed.close();
    await waitFor(() => gateway.revocations.problem?.includes('unreachable'), {
      description: 'a poll that found auth unreachable',
    });
    expect(await statusOf(tokens.token(user, 0))).toBe(401);
    expect(await statusOf(tokens.token(user, 1))).toBe(200);
    expect(gateway.revocations.size).toBe(1);
  });

  it('reads everything again, and replaces what it holds, when last_seq goes backwards', async () => {
    const user = randomUUID();
    const survivor = randomUUID();
    feed.revoke(survivor, 1);
    feed.revoke(user, 1);
    await waitFor(async () => (await statusOf(tokens.token(user, 0))) === 401);
    // auth restored from a backup taken before the second revocation: its seq is back at 1.
    feed.rows = feed.rows.slice(0, 1);
    await waitFor(async () => (await statusOf(tokens.token(user, 0))) === 200, {
      description: 'the lost revocation forgotten',
    });
    expect(await statusOf(tokens.token(survivor, 0))).toBe(401);
    const restoredAt = feed.requests.lastIndexOf(undefined);
    expect(restoredAt).toBeGreaterThan(0);
  });

  it('forgets a revocation after the retention the feed announces', async () => {
    feed.retentionSeconds = 1;
    const user = randomUUID();
    feed.revoke(user, 1);
    await waitFor(async () => (await statusOf(tokens.token(user, 0))) === 401);
    // Polls after it bring nothing new; the entry itself runs out.
    await waitFor(async () => (await statusOf(tokens.token(user, 0))) === 200, {
      description: 'the entry expired',
    });
  });
});
