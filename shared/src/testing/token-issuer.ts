import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startHttpServer, type RunningServer } from './http';

export const TEST_ISSUER = 'finance-tracker-auth';
export const TEST_AUDIENCE = 'finance-tracker';

/**
 * A stand-in for the auth service in other services' tests: a real RSA key, a real JWKS
 * endpoint on loopback, and real RS256 tokens, so services verify exactly as in production.
 */
export class TestTokenIssuer {
  readonly kid = randomUUID();
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private server?: RunningServer;
  private keyServed = true;

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  async start(): Promise<this> {
    const jwk = { ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' };
    this.server = await startHttpServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.keyServed ? [jwk] : [] }));
    });
    return this;
  }

  get jwksUrl(): string {
    if (!this.server) throw new Error('TestTokenIssuer not started');
    return `${this.server.url}/.well-known/jwks.json`;
  }

  /** `expiresInSeconds: null` signs a token without `exp` (which verifiers must refuse). */
  token(
    userId: string,
    options: { role?: string; expiresInSeconds?: number | null; sessionVersion?: number } = {},
  ): string {
    const claims = {
      role: options.role ?? 'user',
      ...(options.sessionVersion === undefined ? {} : { sv: options.sessionVersion }),
    };
    return jwt.sign(claims, this.privateKey, {
      algorithm: 'RS256',
      keyid: this.kid,
      subject: userId,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      ...(options.expiresInSeconds === null ? {} : { expiresIn: options.expiresInSeconds ?? 900 }),
      jwtid: randomUUID(),
    });
  }

  /** Takes the key out of the JWKS, as a rotation does once its tokens may no longer be used. */
  retireKey(): void {
    this.keyServed = false;
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }
}
