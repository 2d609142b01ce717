import { ConfigError, parseConfig } from '@finance/shared';
import { authConfigSchema } from '../src/config';
import {
  EMPTY_BUCKET,
  admitAttempt,
  bucketsFor,
  decideAttempt,
  lockDurationMs,
  type BucketState,
} from '../src/domain/login-throttle';
import { PasswordHasher } from '../src/domain/passwords';
import { email, passwordProblem, timeZoneAsGiven, username } from '../src/domain/profile';
import {
  decideRefresh,
  hashRefreshToken,
  newRefreshToken,
  openSuccessor,
  sealSuccessor,
} from '../src/domain/refresh-tokens';
import { rsaPrivateKeyPem } from './fixtures';

const parseAuthConfig = (env: Record<string, string>) => parseConfig(authConfigSchema, env);

describe('auth domain rules', () => {
  it('counts password length in UTF-8 bytes, as bcrypt does', () => {
    expect(passwordProblem('1234567')).toMatch(/at least 8/);
    expect(passwordProblem('12345678')).toBeUndefined();
    expect(passwordProblem('a'.repeat(72))).toBeUndefined();
    expect(passwordProblem('a'.repeat(73))).toMatch(/at most 72/);
    expect(passwordProblem('€'.repeat(24))).toBeUndefined(); // 72 bytes
    expect(passwordProblem('€'.repeat(25))).toMatch(/at most 72/); // 75 bytes, 25 characters
    expect(passwordProblem('abcdefgh\u0000')).toMatch(/NUL/);
  });

  it('keeps a valid IANA zone as given, correcting only its letter case', () => {
    expect(timeZoneAsGiven('Asia/Kolkata')).toBe('Asia/Kolkata'); // ICU's canonical name is Asia/Calcutta
    expect(timeZoneAsGiven('Asia/Calcutta')).toBe('Asia/Calcutta');
    expect(timeZoneAsGiven('Europe/Kyiv')).toBe('Europe/Kyiv');
    expect(timeZoneAsGiven('US/Eastern')).toBe('US/Eastern');
    expect(timeZoneAsGiven('Etc/UTC')).toBe('Etc/UTC');
    expect(timeZoneAsGiven('UTC')).toBe('UTC');
    expect(timeZoneAsGiven('utc')).toBe('UTC');
    expect(timeZoneAsGiven('america/new_york')).toBe('America/New_York');
    expect(timeZoneAsGiven('Mars/Olympus')).toBeUndefined();
    expect(timeZoneAsGiven('')).toBeUndefined();
  });

  it.each([
    ['a trailing line feed', 'alice\n'],
    ['a trailing CR LF', 'alice\r\n'],
    ['a leading tab', '\talice'],
    ['BEL', 'al\u0007ice'],
    ['ESC', 'al\u001bice'],
    ['a bidi override', 'alice\u202e'],
    ['a bidi isolate', '\u2066alice'],
  ])('refuses a username or e-mail with %s instead of trimming it away', (_name, text) => {
    expect(username.safeParse(text).success).toBe(false);
    expect(email.safeParse(`${text}@example.com`).success).toBe(false);
    expect(email.safeParse(`x@example.com${text}`).success).toBe(false);
  });

  it('still trims spaces and lower-cases usernames and e-mail addresses', () => {
    expect(username.parse('  Ada_L ')).toBe('ada_l');
    expect(email.parse(' Ada@Example.COM ')).toBe('ada@example.com');
  });

  describe('login throttle buckets', () => {
    const policy = { limit: 3, windowMs: 15 * 60_000, backoffBaseMs: 60_000, backoffMaxMs: 15 * 60_000 };
    const t0 = new Date('2026-01-01T12:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);

    function run(state: BucketState, times: number, now: Date) {
      let current = state;
      const admitted: boolean[] = [];
      for (let i = 0; i < times; i++) {
        const decision = admitAttempt(current, policy, now);
        admitted.push(decision.admitted);
        if (decision.admitted) current = decision.next;
      }
      return { state: current, admitted };
    }

    it('admits `limit` attempts, then locks; the attempt reaching the limit starts the lock', () => {
      const { state, admitted } = run(EMPTY_BUCKET, 5, t0);
      expect(admitted).toEqual([true, true, true, false, false]);
      expect(state).toEqual({ attempts: 3, lockedUntil: at(60_000), lastAttemptAt: t0 });
      expect(admitAttempt(state, policy, at(59_000))).toEqual({ admitted: false, retryAfterMs: 1_000 });
    });

    it('doubles the lock with every further attempt, up to the cap', () => {
      expect([3, 4, 5, 6, 7, 8, 50].map((n) => lockDurationMs(n, policy) / 60_000)).toEqual([
        1, 2, 4, 8, 15, 15, 15,
      ]);
      let state = run(EMPTY_BUCKET, 3, t0).state;
      const locks: number[] = [];
      for (let i = 0; i < 4; i++) {
        const now = state.lockedUntil as Date;
        const decision = admitAttempt(state, policy, now);
        if (!decision.admitted) throw new Error('expected the attempt after the lock to run');
        expect(decision.locked).toBe(true);
        state = decision.next;
        locks.push(((state.lockedUntil as Date).getTime() - now.getTime()) / 60_000);
      }
      expect(locks).toEqual([2, 4, 8, 15]);
    });

    it('forgets a bucket only after a quiet window that starts when its lock ends', () => {
      const locked = run(EMPTY_BUCKET, 3, t0).state; // locked until t0 + 1 min
      // Right after the lock: still the same streak (the back-off does not reset itself).
      const after = admitAttempt(locked, policy, at(60_000));
      expect(after.admitted && after.next.attempts).toBe(4);
      // A whole quiet window after the lock ended: a fresh start.
      const fresh = admitAttempt(locked, policy, at(60_000 + 15 * 60_000 + 1));
      expect(fresh.admitted && fresh.next).toEqual({
        attempts: 1,
        lockedUntil: null,
        lastAttemptAt: at(60_000 + 15 * 60_000 + 1),
      });
    });

    it('counts an attempt in every bucket or in none, and spares a known address the account bucket', () => {
      expect(bucketsFor('user:1', '10.0.0.1', false).map((b) => b.kind)).toEqual([
        'account',
        'address',
        'pair',
      ]);
      expect(bucketsFor('user:1', '10.0.0.1', true).map((b) => b.kind)).toEqual(['address', 'pair']);
      const buckets = bucketsFor('user:1', '10.0.0.1', false);
      const lockedAccount = run(EMPTY_BUCKET, 3, t0).state;
      const states = buckets.map((bucket) => ({
        bucket,
        state: bucket.kind === 'account' ? lockedAccount : EMPTY_BUCKET,
      }));
      const policyOf = () => policy;
      const refused = decideAttempt(states, policyOf, at(1_000));
      expect(refused).toEqual({
        decision: { allowed: false, retryAfterSeconds: 59, refusedBy: ['account'] },
        next: [],
      });
      const admitted = decideAttempt(
        buckets.map((bucket) => ({ bucket, state: EMPTY_BUCKET })),
        policyOf,
        t0,
      );
      expect(admitted.decision).toEqual({ allowed: true, lockedNow: [] });
      expect(admitted.next.map((n) => n.state.attempts)).toEqual([1, 1, 1]);
    });
  });

  it('decides what presenting a refresh token means, with a grace window for the same client', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    const later = new Date('2026-01-02T12:00:00Z');
    const fresh = {
      usedAt: null,
      expiresAt: later,
      familyRevokedAt: null,
      usedBy: null,
      hasSuccessor: false,
    };
    const client = { clientIp: '10.0.0.1', graceMs: 10_000 };
    expect(decideRefresh(undefined, now)).toBe('unknown');
    expect(decideRefresh(fresh, now)).toBe('rotate');
    expect(decideRefresh({ ...fresh, usedAt: now }, now)).toBe('reused');
    expect(decideRefresh({ ...fresh, expiresAt: now }, now)).toBe('expired');
    expect(decideRefresh({ ...fresh, familyRevokedAt: now }, now)).toBe('revoked');
    const used = {
      ...fresh,
      usedAt: new Date(now.getTime() - 10_000),
      usedBy: '10.0.0.1',
      hasSuccessor: true,
    };
    expect(decideRefresh(used, now, client)).toBe('replay-in-grace');
    expect(decideRefresh(used, new Date(now.getTime() + 1), client)).toBe('reused');
    // A use stamped after "now" raced this request (or another replica's clock runs ahead): in grace.
    expect(decideRefresh(used, new Date(now.getTime() - 15_000), client)).toBe('replay-in-grace');
    expect(decideRefresh(used, now, { ...client, clientIp: '10.0.0.2' })).toBe('reused');
    expect(decideRefresh({ ...used, hasSuccessor: false }, now, client)).toBe('reused');
    expect(decideRefresh({ ...used, familyRevokedAt: now }, now, client)).toBe('revoked');
    expect(decideRefresh(used, now, { ...client, graceMs: 0 })).toBe('reused');
  });

  it('seals the pair a rotation issued so that only the replaced token opens it', () => {
    const old = newRefreshToken().token;
    const pair = { accessToken: 'a.b.c', refreshToken: newRefreshToken().token, accessExpiresAtMs: 1 };
    const sealed = sealSuccessor(old, pair);
    expect(sealed).not.toContain(pair.refreshToken);
    expect(openSuccessor(old, sealed)).toEqual(pair);
    expect(openSuccessor(newRefreshToken().token, sealed)).toBeUndefined();
    const tampered = Buffer.from(sealed, 'base64');
    tampered[tampered.length - 1] ^= 1;
    expect(openSuccessor(old, tampered.toString('base64'))).toBeUndefined();
  });

  it('makes 256-bit opaque refresh tokens and stores only their SHA-256', () => {
    const { token, hash } = newRefreshToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hash).toBe(hashRefreshToken(token));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(newRefreshToken().token).not.toBe(token);
  });

  it('hashes with bcrypt cost 12 under the default configuration', async () => {
    const config = parseAuthConfig({});
    expect(config.BCRYPT_ROUNDS).toBe(12);
    const hasher = new PasswordHasher(config.BCRYPT_ROUNDS);
    const hash = await hasher.hash('correct horse battery');
    expect(hash).toMatch(/^\$2b\$12\$/);
    expect(await hasher.verify('correct horse battery', hash)).toBe(true);
    expect(await hasher.verify('wrong horse battery', hash)).toBe(false);
    expect(await hasher.verify('correct horse battery', undefined)).toBe(false);
  });
});

describe('auth configuration', () => {
  it('has the documented defaults', () => {
    expect(parseAuthConfig({})).toMatchObject({
      PORT: 3001,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/finance_auth',
      JWT_ISSUER: 'finance-tracker-auth',
      JWT_AUDIENCE: 'finance-tracker',
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_DAYS: 30,
      BCRYPT_ROUNDS: 12,
      LOGIN_MAX_FAILURES: 10,
      LOGIN_MAX_FAILURES_PER_ACCOUNT: 100,
      LOGIN_MAX_FAILURES_PER_IP: 50,
      LOGIN_FAILURE_WINDOW_MINUTES: 15,
      LOGIN_BACKOFF_BASE_SECONDS: 60,
      LOGIN_BACKOFF_MAX_SECONDS: 900,
      LOGIN_KNOWN_ADDRESS_DAYS: 90,
      REFRESH_REUSE_GRACE_SECONDS: 10,
    });
  });

  it('refuses production without JWT_PRIVATE_KEY or with a cheap bcrypt cost', () => {
    expect(() => parseAuthConfig({ NODE_ENV: 'production' })).toThrow(
      new ConfigError('Configuration error: JWT_PRIVATE_KEY is missing'),
    );
    const key = rsaPrivateKeyPem();
    expect(() =>
      parseAuthConfig({ NODE_ENV: 'production', JWT_PRIVATE_KEY: key, BCRYPT_ROUNDS: '10' }),
    ).toThrow(/BCRYPT_ROUNDS is invalid/);
    expect(parseAuthConfig({ NODE_ENV: 'production', JWT_PRIVATE_KEY: key }).BCRYPT_ROUNDS).toBe(12);
  });

  it('accepts a PEM with literal \\n and rejects what is not an RSA key', () => {
    const oneLine = rsaPrivateKeyPem().replace(/\n/g, '\\n');
    expect(parseAuthConfig({ JWT_PRIVATE_KEY: oneLine }).JWT_PRIVATE_KEY).toContain('\n');
    expect(() => parseAuthConfig({ JWT_PRIVATE_KEY: 'not a key' })).toThrow(/JWT_PRIVATE_KEY is invalid/);
  });

  it('wants the admin bootstrap variables together', () => {
    expect(() => parseAuthConfig({ ADMIN_EMAIL: 'a@example.com' })).toThrow(/ADMIN_USERNAME is missing/);
    expect(
      parseAuthConfig({ ADMIN_EMAIL: 'a@b.co', ADMIN_USERNAME: 'adm', ADMIN_PASSWORD: 'x'.repeat(8) }),
    ).toMatchObject({ ADMIN_EMAIL: 'a@b.co' });
  });
});
