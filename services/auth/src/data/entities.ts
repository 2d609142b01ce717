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

  /**
   * Access tokens carry it as claim `sv`; raising it (password change, logout-all, deactivation,
   * role change) revokes every token issued before.
   */
  @Column('integer', { name: 'session_version' })
  sessionVersion: number;

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

  /** Set when the token was exchanged for a new pair; presenting it again is reuse (but see the grace window). */
  @Column('timestamptz', { name: 'used_at', nullable: true })
  usedAt: Date | null;

  /** The client address that exchanged it: only that address gets the grace window. */
  @Column('text', { name: 'used_by', nullable: true })
  usedBy: string | null;

  /**
   * The pair it was exchanged for, encrypted under a key derived from this token (which is not
   * stored), kept for the grace window; cleared by housekeeping afterwards.
   */
  @Column('text', { name: 'successor_sealed', nullable: true })
  successorSealed: string | null;

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

/** One throttle bucket (see domain/login-throttle.ts): a pair, an account or an address. */
@Entity({ name: 'login_throttle' })
export class LoginThrottleBucket {
  @PrimaryColumn('text')
  kind: 'pair' | 'account' | 'address';

  /** `user:<id>`, or `login:<sha256 of the identifier>` when it names no account; '' for an address bucket. */
  @PrimaryColumn('text', { name: 'account_key' })
  accountKey: string;

  /** '' for an account bucket. */
  @PrimaryColumn('text', { name: 'client_ip' })
  clientIp: string;

  @Column('integer')
  attempts: number;

  @Column('timestamptz', { name: 'locked_until', nullable: true })
  lockedUntil: Date | null;

  @Column('timestamptz', { name: 'last_attempt_at', nullable: true })
  lastAttemptAt: Date | null;
}

/** Addresses a user logged in from: they keep their own budget when the account-wide one is spent. */
@Entity({ name: 'login_known_addresses' })
export class KnownLoginAddress {
  @PrimaryColumn('uuid', { name: 'user_id' })
  userId: string;

  @PrimaryColumn('text', { name: 'client_ip' })
  clientIp: string;

  @Column('timestamptz', { name: 'last_login_at' })
  lastLoginAt: Date;
}

/** The revocation feed: from `at` on, tokens of `userId` with `sv` below `sessionVersion` are invalid. */
@Entity({ name: 'session_revocations' })
export class SessionRevocation {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  seq: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('integer', { name: 'session_version' })
  sessionVersion: number;

  @Column('timestamptz')
  at: Date;
}

export const authEntities = [
  User,
  RefreshTokenFamily,
  RefreshToken,
  SigningKeyRecord,
  LoginThrottleBucket,
  KnownLoginAddress,
  SessionRevocation,
];
