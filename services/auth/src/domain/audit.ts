/**
 * The security-relevant actions auth records in its audit log: who did what to whom, when and
 * from where. The names are the wire values of `action`.
 */
export const AUDIT_ACTIONS = [
  'user.registered',
  'login.succeeded',
  'login.failed',
  'login.locked-out',
  'password.changed',
  'email.changed',
  'sessions.ended',
  'refresh-token.reuse-detected',
  'user.deleted',
  'user.role-changed',
  'user.deactivated',
  'user.reactivated',
  'sessions.revoked-by-admin',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Where a request came from, as auth saw it: the client address the gateway forwarded, and its user agent. */
export interface AuditOrigin {
  clientIp?: string;
  userAgent?: string;
}

/** Who acted and from where; no actor = the system (the admin bootstrap) or nobody known (a failed login). */
export interface AuditContext {
  actorId?: string | null;
  origin?: AuditOrigin;
}

export interface AuditEntry extends AuditContext {
  action: AuditAction;
  /** The user the action concerns, when there is one. */
  subjectId?: string | null;
  /** Small facts of the action (a role change's `from` and `to`, a lock-out's scope); never a secret. */
  details?: Record<string, string | number | boolean | null>;
}

/** Longest user agent kept: enough to tell clients apart, not a place to store a payload. */
export const MAX_USER_AGENT_LENGTH = 512;

/** How a user's own security events name who acted. */
export function initiatorOf(actorId: string | null, subjectId: string | null): 'self' | 'admin' | 'system' {
  if (actorId === null) return 'system';
  return actorId === subjectId ? 'self' : 'admin';
}
