import { z } from 'zod';
import { currencyCode } from '@finance/shared';

/** bcrypt reads at most 72 bytes, so a longer password would be silently truncated. */
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;

export const roles = ['user', 'admin'] as const;
export type Role = (typeof roles)[number];

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Must be a valid e-mail address' }))
  .meta({ description: 'E-mail address (stored lower-case)', example: 'ada@example.com' });

export const username = z
  .string()
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

/** The canonical spelling of an IANA zone ("europe/paris" → "Europe/Paris"), or undefined if unknown. */
export function canonicalTimeZone(zone: string): string | undefined {
  if (!zone || zone.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export const timeZone = z
  .string()
  .transform((value, ctx) => {
    const canonical = canonicalTimeZone(value.trim());
    if (!canonical) {
      ctx.addIssue({ code: 'custom', message: 'Must be an IANA time zone such as "Europe/Paris"' });
      return z.NEVER;
    }
    return canonical;
  })
  .meta({ description: 'IANA time zone', example: 'Europe/Paris' });

export const baseCurrency = currencyCode;

/** Whether a login identifier is an e-mail (the OAuth2 form's `username` may be either). */
export function isEmailIdentifier(identifier: string): boolean {
  return identifier.includes('@');
}
