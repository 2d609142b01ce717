import { ConfigError } from '@finance/shared';
import { parseAuthConfig } from '../src/config';
import { decideLogin } from '../src/domain/login-throttle';
import { PasswordHasher } from '../src/domain/passwords';
import { canonicalTimeZone, passwordProblem } from '../src/domain/profile';
import { decideRefresh, hashRefreshToken, newRefreshToken } from '../src/domain/refresh-tokens';
import { rsaPrivateKeyPem } from './helpers';

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

  it('accepts IANA zones in their canonical spelling only', () => {
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimeZone('Mars/Olympus')).toBeUndefined();
    expect(canonicalTimeZone('')).toBeUndefined();
  });

  it('throttles after the limit and says when the oldest counted failure leaves the window', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    const policy = { maxFailuresPerAccount: 3, maxFailuresPerIp: 5, windowMs: 15 * 60_000 };
    const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
    expect(decideLogin([at(10), at(5)], [], policy, now)).toEqual({ allowed: true });
    expect(decideLogin([at(10), at(5), at(1)], [], policy, now)).toEqual({
      allowed: false,
      retryAfterSeconds: 5 * 60,
    });
    expect(decideLogin([], [at(14), at(3), at(3), at(2), at(1)], policy, now)).toEqual({
      allowed: false,
      retryAfterSeconds: 60,
    });
  });

  it('decides what presenting a refresh token means', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    const later = new Date('2026-01-02T12:00:00Z');
    expect(decideRefresh(undefined, now)).toBe('unknown');
    expect(decideRefresh({ usedAt: null, expiresAt: later, familyRevokedAt: null }, now)).toBe('rotate');
    expect(decideRefresh({ usedAt: now, expiresAt: later, familyRevokedAt: null }, now)).toBe('reused');
    expect(decideRefresh({ usedAt: null, expiresAt: now, familyRevokedAt: null }, now)).toBe('expired');
    expect(decideRefresh({ usedAt: null, expiresAt: later, familyRevokedAt: now }, now)).toBe('revoked');
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
      LOGIN_FAILURE_WINDOW_MINUTES: 15,
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
