import { z } from 'zod';
import { currencyCode, isValidTimezone, singleLineText } from '@finance/shared';

/** bcrypt reads at most 72 bytes, so a longer password would be silently truncated. */
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;

export const roles = ['user', 'admin'] as const;
export type Role = (typeof roles)[number];

/*
 * Login identifiers are single-line text: a control character or a bidi override anywhere —
 * even a trailing CR/LF, which trimming would otherwise hide — is refused, not stripped.
 */
export const email = singleLineText({ max: 320, trim: false })
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Must be a valid e-mail address' }))
  .meta({ description: 'E-mail address (stored lower-case)', example: 'ada@example.com' });

export const username = singleLineText({ max: 320, trim: false })
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_.-]{3,32}$/, { message: '3–32 characters: a–z, 0–9, "_", "." or "-"' })
  .meta({ description: '3–32 characters of a–z, 0–9, _ . -', example: 'ada_l' });

export function passwordProblem(password: string): string | undefined {
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < PASSWORD_MIN_BYTES) return `Must be at least ${PASSWORD_MIN_BYTES} bytes`;
  if (bytes > PASSWORD_MAX_BYTES) return `Must be at most ${PASSWORD_MAX_BYTES} bytes (UTF-8)`;
  // bcrypt stops at a NUL byte: everything after it would be ignored.
  if (password.includes('\u0000')) return 'Must not contain NUL characters';
  return undefined;
}

export const newPassword = z
  .string()
  .superRefine((value, ctx) => {
    const problem = passwordProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ description: `${PASSWORD_MIN_BYTES}–${PASSWORD_MAX_BYTES} bytes (UTF-8)`, format: 'password' });

/** A password presented for checking: only bounded, so a huge body cannot waste bcrypt time. */
export const presentedPassword = z.string().min(1).max(1024).meta({ format: 'password' });

/**
 * An IANA zone as the user spelled it ("Asia/Kolkata" stays "Asia/Kolkata", although ICU calls it
 * "Asia/Calcutta"); only a difference of letter case is corrected ("europe/paris" → "Europe/Paris").
 * Undefined if no such zone exists.
 */
export function timeZoneAsGiven(zone: string): string | undefined {
  if (!isValidTimezone(zone)) return undefined;
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
}

export const timeZone = z
  .string()
  .transform((value, ctx) => {
    const zone = timeZoneAsGiven(value.trim());
    if (!zone) {
      ctx.addIssue({ code: 'custom', message: 'Must be an IANA time zone such as "Europe/Paris"' });
      return z.NEVER;
    }
    return zone;
  })
  .meta({
    description: 'IANA time zone, kept as given (only its letter case is corrected)',
    example: 'Europe/Paris',
  });

export const baseCurrency = currencyCode;

/** Whether a login identifier is an e-mail (the OAuth2 form's `username` may be either). */
export function isEmailIdentifier(identifier: string): boolean {
  return identifier.includes('@');
}
