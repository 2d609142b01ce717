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

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  async start(): Promise<this> {
    const jwk = { ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' };
    this.server = await startHttpServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    return this;
  }

  get jwksUrl(): string {
    if (!this.server) throw new Error('TestTokenIssuer not started');
    return `${this.server.url}/.well-known/jwks.json`;
  }

  token(userId: string, options: { role?: string; expiresInSeconds?: number } = {}): string {
    return jwt.sign({ role: options.role ?? 'user' }, this.privateKey, {
      algorithm: 'RS256',
      keyid: this.kid,
      subject: userId,
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      expiresIn: options.expiresInSeconds ?? 900,
      jwtid: randomUUID(),
    });
  }

  async stop(): Promise<void> {
    await this.server?.close();
  }
}
