import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): a delivery carries `webhook-id` (the
 * message id, the same on every retry), `webhook-timestamp` (seconds since the epoch, of this
 * attempt) and `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
 * one per secret that signs (two during a rotation's grace period). A secret is `whsec_` + base64
 * of its key bytes; the key is the base64 part decoded.
 */

export const SECRET_PREFIX = 'whsec_';

/** A fresh signing secret: 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

function keyOf(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

/** One `v1,…` signature of a message. */
export function signature(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret))
    .update(`${messageId}.${timestampSeconds}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers of one attempt, signed by every secret given (current first). */
export function signedHeaders(
  secrets: string[],
  messageId: string,
  timestampSeconds: number,
  body: string,
): SignedHeaders {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets
      .map((secret) => signature(secret, messageId, timestampSeconds, body))
      .join(' '),
  };
}
