import { createPrivateKey } from 'node:crypto';
import { serviceConfigSchema } from '@finance/shared';
import { z } from 'zod';

/** Operators often paste a PEM into one line with literal `\n`; accept both spellings. */
const pemPrivateKey = z
  .string()
  .transform((text) => text.replace(/\\n/g, '\n').trim())
  .refine(
    (pem) => {
      try {
        const key = createPrivateKey(pem);
        return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
      } catch {
        return false;
      }
    },
    { message: 'must be an RSA private key (PEM, at least 2048 bits)' },
  );

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/**
 * Auth's environment: what every service reads (port and database from services.json), its own
 * variables, and the rules that tie them together.
 */
export const authConfigSchema = serviceConfigSchema('auth', {
  JWT_PRIVATE_KEY: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v))
    .pipe(pemPrivateKey.optional()),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  BCRYPT_ROUNDS: z.coerce.number().int().min(4).max(15).default(12),
  /** Failed logins for one account from one client address before back-off starts. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(10_000).default(10),
  /** Failed logins for one account from all addresses that never logged into it. */
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1_000_000).default(100),
  /** Failed logins from one client address over all accounts. */
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(50),
  LOGIN_FAILURE_WINDOW_MINUTES: z.coerce.number().int().min(1).max(10_080).default(15),
  LOGIN_BACKOFF_BASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  LOGIN_BACKOFF_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** How long an address that logged into an account stays "known" for it (spared the account-wide limit). */
  LOGIN_KNOWN_ADDRESS_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
  /** A just-rotated refresh token presented again from the same address this soon gets the same pair (0: never). */
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  /** Audit events older than this are forgotten (a daily job). */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(365),
  ADMIN_EMAIL: optionalText,
  ADMIN_USERNAME: optionalText,
  ADMIN_PASSWORD: optionalText,
}).superRefine((config, ctx) => {
  if (config.NODE_ENV === 'production') {
    // A generated key lives in the database; production keys come from a secret store.
    if (!config.JWT_PRIVATE_KEY)
      ctx.addIssue({ code: 'custom', path: ['JWT_PRIVATE_KEY'], message: 'is required in production' });
    if (config.BCRYPT_ROUNDS < 12)
      ctx.addIssue({
        code: 'custom',
        path: ['BCRYPT_ROUNDS'],
        message: 'must be at least 12 in production',
      });
  }
  if (config.LOGIN_BACKOFF_MAX_SECONDS < config.LOGIN_BACKOFF_BASE_SECONDS)
    ctx.addIssue({
      code: 'custom',
      path: ['LOGIN_BACKOFF_MAX_SECONDS'],
      message: 'must be at least LOGIN_BACKOFF_BASE_SECONDS',
    });
  const admin = [config.ADMIN_EMAIL, config.ADMIN_USERNAME, config.ADMIN_PASSWORD];
  if (admin.some(Boolean) && !admin.every(Boolean)) {
    const missing = (['ADMIN_EMAIL', 'ADMIN_USERNAME', 'ADMIN_PASSWORD'] as const).find((k) => !config[k]);
    ctx.addIssue({
      code: 'custom',
      path: [missing ?? 'ADMIN_EMAIL'],
      message: 'ADMIN_EMAIL, ADMIN_USERNAME and ADMIN_PASSWORD are set together',
    });
  }
});

export type AuthConfig = z.output<typeof authConfigSchema>;
