import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { IsNull, type DataSource, type EntityManager } from 'typeorm';
import type { Logger } from '@finance/shared';
import type { SigningKey } from '../domain/access-tokens';
import { SigningKeyRecord } from './entities';

const generateRsaKeyPair = promisify(generateKeyPair);

/** Keys of a token may outlive its `exp` by this much clock skew between services. */
const CLOCK_SKEW_MS = 60_000;

export interface PublicJwk {
  kty: string;
  n: string;
  e: string;
  kid: string;
  use: 'sig';
  alg: 'RS256';
}

/** RFC 7638 thumbprint: the same key always gets the same kid, wherever it is loaded. */
export function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

interface VerificationKey {
  kid: string;
  publicKey: KeyObject;
  jwk: PublicJwk;
  retiredAt: Date | null;
}

/**
 * The service's signing keys. One key signs; keys it replaced stay published (and accepted)
 * until every token they signed has expired. Keys are kept in `signing_keys` so all replicas
 * and restarts agree; the table is re-read now and then so a replica sees another's rotation.
 */
export class KeyRing {
  private signing?: SigningKey;
  private verification: VerificationKey[] = [];
  private loadedAt = 0;
  private reloading?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: {
      accessTokenTtlSeconds: number;
      privateKeyPem?: string;
      logger?: Logger;
      /** "Now" for retirements and the horizon after which a retired key stops verifying. */
      clock: () => Date;
    },
  ) {}

  private get horizonMs(): number {
    return this.options.accessTokenTtlSeconds * 1000 + CLOCK_SKEW_MS;
  }

  /**
   * Makes the configured key (or, without one, the stored development key, generated on first
   * start) the signing key and retires any other. Serialised by a transaction-level advisory
   * lock so replicas starting together agree on one key.
   */
  async activate(): Promise<void> {
    const privateKey = this.options.privateKeyPem ? createPrivateKey(this.options.privateKeyPem) : undefined;
    const now = this.options.clock();
    const kid = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('finance-auth:signing-keys'))`);
      const repo = manager.getRepository(SigningKeyRecord);
      let activeKid: string;
      if (privateKey) {
        const publicKey = createPublicKey(privateKey);
        activeKid = thumbprint(publicKey);
        await manager.query(
          `INSERT INTO signing_keys (kid, public_key_pem, private_key_pem, source, created_at, retired_at)
           VALUES ($1, $2, NULL, 'env', $3, NULL)
           ON CONFLICT (kid) DO UPDATE SET retired_at = NULL`,
          [activeKid, publicKey.export({ type: 'spki', format: 'pem' }).toString(), now],
        );
      } else {
        const stored = await repo.findOne({
          where: { source: 'generated', retiredAt: IsNull() },
          order: { createdAt: 'DESC' },
        });
        activeKid = stored?.kid ?? (await this.generate(manager, now));
      }
      await manager.query(`UPDATE signing_keys SET retired_at = $2 WHERE retired_at IS NULL AND kid <> $1`, [
        activeKid,
        now,
      ]);
      return activeKid;
    });
    await this.reload();
    if (privateKey) {
      this.signing = { kid, privateKey };
    } else {
      const record = await this.dataSource.getRepository(SigningKeyRecord).findOneByOrFail({ kid });
      this.signing = { kid, privateKey: createPrivateKey(record.privateKeyPem ?? '') };
    }
    this.options.logger?.info({ kid, source: privateKey ? 'env' : 'generated' }, 'signing key active');
  }

  private async generate(manager: EntityManager, now: Date): Promise<string> {
    const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const kid = thumbprint(publicKey);
    await manager.getRepository(SigningKeyRecord).insert({
      kid,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      source: 'generated',
      createdAt: now,
      retiredAt: null,
    });
    this.options.logger?.warn(
      { kid },
      'generated a development signing key (set JWT_PRIVATE_KEY in production)',
    );
    return kid;
  }

  /** Reads the keys that may still verify tokens: active ones and those retired less than a token lifetime ago. */
  async reload(): Promise<void> {
    this.reloading ??= (async () => {
      const rows = await this.dataSource
        .getRepository(SigningKeyRecord)
        .createQueryBuilder('k')
        .where(`k.retired_at IS NULL OR k.retired_at > :since`, {
          since: new Date(this.options.clock().getTime() - this.horizonMs),
        })
        .orderBy('k.created_at', 'DESC')
        .getMany();
      this.verification = rows.map((row) => {
        const publicKey = createPublicKey(row.publicKeyPem);
        const jwk = publicKey.export({ format: 'jwk' });
        return {
          kid: row.kid,
          publicKey,
          retiredAt: row.retiredAt,
          jwk: {
            kty: String(jwk.kty),
            n: String(jwk.n),
            e: String(jwk.e),
            kid: row.kid,
            use: 'sig',
            alg: 'RS256',
          },
        };
      });
      // Real time, not the service's clock: this is how old the cached copy of the table is.
      this.loadedAt = Date.now();
    })().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** Re-reads the table when the cached view is older than `maxAgeMs`. */
  async fresh(maxAgeMs = 30_000): Promise<this> {
    if (Date.now() - this.loadedAt > maxAgeMs) await this.reload();
    return this;
  }

  get signingKey(): SigningKey {
    if (!this.signing) throw new Error('KeyRing.activate() has not run');
    return this.signing;
  }

  /** Between reloads a retired key drops out on time, not only when the table is re-read. */
  private get usable(): VerificationKey[] {
    const now = this.options.clock().getTime();
    return this.verification.filter(
      (key) => !key.retiredAt || key.retiredAt.getTime() + this.horizonMs > now,
    );
  }

  publicKey(kid: string): KeyObject | undefined {
    return this.usable.find((key) => key.kid === kid)?.publicKey;
  }

  get jwks(): { keys: PublicJwk[] } {
    return { keys: this.usable.map((key) => key.jwk) };
  }
}
