import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '../domain/profile';

@Entity({ name: 'users' })
export class User {
  @PrimaryColumn('uuid')
  id: string;

  /** Always lower-case; unique (constraint users_email_key). */
  @Column('text')
  email: string;

  /** Always lower-case; unique (constraint users_username_key). */
  @Column('text')
  username: string;

  @Column('text', { name: 'password_hash' })
  passwordHash: string;

  @Column('text')
  role: Role;

  @Column('text', { name: 'base_currency' })
  baseCurrency: string;

  @Column('text')
  timezone: string;

  @Column('boolean', { name: 'is_active' })
  isActive: boolean;

  /** Bumped on every change; events carry it as aggregateVersion so consumers can drop stale ones. */
  @Column('integer')
  version: number;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}

/** A chain of refresh tokens born from one login; reuse of a rotated member revokes it all. */
@Entity({ name: 'refresh_token_families' })
export class RefreshTokenFamily {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;

  @Column('text', { name: 'revoked_reason', nullable: true })
  revokedReason: string | null;
}

@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'family_id' })
  familyId: string;

  /** SHA-256 (hex) of the opaque token; the token itself is never stored. */
  @Column('text', { name: 'token_hash' })
  tokenHash: string;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;

  /** Set when the token was exchanged for a new pair; presenting it again is reuse. */
  @Column('timestamptz', { name: 'used_at', nullable: true })
  usedAt: Date | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;
}

@Entity({ name: 'signing_keys' })
export class SigningKeyRecord {
  /** RFC 7638 thumbprint of the public key. */
  @PrimaryColumn('text')
  kid: string;

  @Column('text', { name: 'public_key_pem' })
  publicKeyPem: string;

  /** Only for keys generated in development; a key from JWT_PRIVATE_KEY is never written down. */
  @Column('text', { name: 'private_key_pem', nullable: true })
  privateKeyPem: string | null;

  @Column('text')
  source: 'env' | 'generated';

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  /** When another key took over signing; the key stays in the JWKS until its last tokens expired. */
  @Column('timestamptz', { name: 'retired_at', nullable: true })
  retiredAt: Date | null;
}

@Entity({ name: 'login_failures' })
export class LoginFailure {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  /** SHA-256 of the lower-cased identifier tried (e-mail or username), whether or not such a user exists. */
  @Column('text', { name: 'account_key' })
  accountKey: string;

  @Column('text', { name: 'client_ip' })
  clientIp: string;

  @Column('timestamptz', { name: 'failed_at' })
  failedAt: Date;
}

export const authEntities = [User, RefreshTokenFamily, RefreshToken, SigningKeyRecord, LoginFailure];
