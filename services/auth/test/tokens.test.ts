import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenVerifier } from '@finance/shared';
import { httpJson } from '@finance/shared/testing';
import { registerAndLogin, rsaPrivateKeyPem, startAuth, startReplica, type AuthService } from './fixtures';

describe('auth: access tokens, JWKS and key rotation', () => {
  let auth: AuthService;
  const keyA = rsaPrivateKeyPem();
  beforeAll(async () => {
    auth = await startAuth('auth_tokens', { env: { JWT_PRIVATE_KEY: keyA } });
  });
  afterAll(() => auth.close());

  const me = (url: string, token?: string) => httpJson('GET', `${url}/users/me`, { token });

  function sign(claims: object, options: jwt.SignOptions & { key?: string | Buffer } = {}) {
    const { key, ...rest } = options;
    return jwt.sign({ role: 'user', ...claims }, key ?? keyA, {
      algorithm: 'RS256',
      keyid: auth.parts.keys.signingKey.kid,
      issuer: 'finance-tracker-auth',
      audience: 'finance-tracker',
      expiresIn: 900,
      ...rest,
    });
  }

  it('serves the signing key in the JWKS, cacheable, without private parts', async () => {
    const res = await httpJson('GET', `${auth.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('max-age=');
    expect(res.body.keys).toEqual([
      {
        kty: 'RSA',
        n: expect.any(String),
        e: 'AQAB',
        kid: auth.parts.keys.signingKey.kid,
        use: 'sig',
        alg: 'RS256',
      },
    ]);
    const published = createPublicKey({ key: res.body.keys[0], format: 'jwk' });
    const expected = createPublicKey(keyA).export({ type: 'spki', format: 'pem' });
    expect(published.export({ type: 'spki', format: 'pem' })).toBe(expected);
    expect(JSON.stringify(res.body)).not.toMatch(/"d"|"p"|"q"/);
  });

  it('issues tokens that the shared TokenVerifier (what every other service runs) accepts via the JWKS', async () => {
    const { accessToken, user } = await registerAndLogin(auth.url);
    const verifier = new TokenVerifier({
      jwksUrl: `${auth.url}/.well-known/jwks.json`,
      issuer: 'finance-tracker-auth',
      audience: 'finance-tracker',
    });
    await expect(verifier.verify(accessToken)).resolves.toMatchObject({ id: user.id, role: 'user' });
  });

  it('rejects expired, tampered, unsigned, wrong-audience, wrong-issuer, foreign-key and HS256 tokens', async () => {
    const { accessToken, user } = await registerAndLogin(auth.url);
    expect((await me(auth.url, accessToken)).status).toBe(200);
    const [header, payload, signature] = accessToken.split('.');
    const claims = jwt.decode(accessToken) as jwt.JwtPayload;
    const publicPem = createPublicKey(keyA).export({ type: 'spki', format: 'pem' }).toString();
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const rejected: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not.a.jwt',
      expired: sign({}, { subject: user.id, expiresIn: -60 }),
      tampered: `${header}.${b64({ ...claims, role: 'admin' })}.${signature}`,
      'alg none': `${b64({ alg: 'none', typ: 'JWT', kid: auth.parts.keys.signingKey.kid })}.${payload}.`,
      'wrong audience': sign({}, { subject: user.id, audience: 'someone-else' }),
      'wrong issuer': sign({}, { subject: user.id, issuer: 'evil' }),
      'foreign key, known kid': sign({}, { subject: user.id, key: foreign }),
      'unknown kid': sign({}, { subject: user.id, keyid: 'no-such-key' }),
      // The classic confusion attack: HMAC keyed with the published public key.
      'HS256 with the public key': jwt.sign({ role: 'user' }, Buffer.from(publicPem), {
        algorithm: 'HS256',
        keyid: auth.parts.keys.signingKey.kid,
        subject: user.id,
        issuer: 'finance-tracker-auth',
        audience: 'finance-tracker',
      }),
      'non-uuid subject': sign({}, { subject: 'admin' }),
      'unknown role': sign({ role: 'root' }, { subject: user.id }),
    };
    for (const [name, token] of Object.entries(rejected)) {
      const res = await me(auth.url, token);
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('rejects a valid token of a deleted user', async () => {
    const { accessToken, user } = await registerAndLogin(auth.url);
    await auth.dataSource.query(`DELETE FROM users WHERE id = $1`, [user.id]);
    expect((await me(auth.url, accessToken)).status).toBe(401);
  });

  it('keeps a rotated-out key in the JWKS (and its tokens valid) until its tokens have expired', async () => {
    const { accessToken: tokenA } = await registerAndLogin(auth.url);
    const kidA = auth.parts.keys.signingKey.kid;
    // The service restarts with a new JWT_PRIVATE_KEY.
    const keyB = rsaPrivateKeyPem();
    const restarted = await startReplica(auth, { env: { JWT_PRIVATE_KEY: keyB } });
    const kidB = restarted.parts.keys.signingKey.kid;
    expect(kidB).not.toBe(kidA);

    const jwks = await httpJson('GET', `${restarted.url}/.well-known/jwks.json`);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([kidA, kidB].sort());
    expect((await me(restarted.url, tokenA)).status).toBe(200);
    const { accessToken: tokenB } = await registerAndLogin(restarted.url);
    expect(jwt.decode(tokenB, { complete: true })?.header.kid).toBe(kidB);
    const [row] = await auth.dataSource.query(`SELECT retired_at FROM signing_keys WHERE kid = $1`, [kidA]);
    expect(row.retired_at).not.toBeNull();

    // Once a whole token lifetime (plus clock skew) has passed since A retired, A is gone.
    await auth.dataSource.query(
      `UPDATE signing_keys SET retired_at = now() - interval '20 minutes' WHERE kid = $1`,
      [kidA],
    );
    await restarted.parts.keys.reload();
    const later = await httpJson('GET', `${restarted.url}/.well-known/jwks.json`);
    expect(later.body.keys.map((k: { kid: string }) => k.kid)).toEqual([kidB]);
    expect((await me(restarted.url, tokenA)).status).toBe(401);
    expect((await me(restarted.url, tokenB)).status).toBe(200);
    await restarted.close();
  });
});

describe('auth: development signing key', () => {
  let auth: AuthService;
  beforeAll(async () => {
    auth = await startAuth('auth_devkey');
  });
  afterAll(() => auth.close());

  it('generates a key once, keeps it in the database and reuses it after a restart', async () => {
    const [row] = await auth.dataSource.query(`SELECT kid, source, private_key_pem FROM signing_keys`);
    expect(row).toMatchObject({ kid: auth.parts.keys.signingKey.kid, source: 'generated' });
    expect(row.private_key_pem).toContain('PRIVATE KEY');
    const { accessToken } = await registerAndLogin(auth.url);
    const restarted = await startReplica(auth);
    expect(restarted.parts.keys.signingKey.kid).toBe(auth.parts.keys.signingKey.kid);
    expect((await httpJson('GET', `${restarted.url}/users/me`, { token: accessToken })).status).toBe(200);
    const [{ n }] = await auth.dataSource.query(`SELECT count(*)::int AS n FROM signing_keys`);
    expect(n).toBe(1);
    await restarted.close();
  });
});
