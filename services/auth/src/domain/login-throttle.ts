/** How many failed logins are tolerated in a sliding window, per account and per client address. */
export interface ThrottlePolicy {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  windowMs: number;
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Given the failure times inside the window (oldest first), decides whether another attempt
 * may run now and, if not, when the oldest failure leaves the window.
 */
export function decideLogin(
  accountFailures: Date[],
  ipFailures: Date[],
  policy: ThrottlePolicy,
  now: Date,
): ThrottleDecision {
  const waits: number[] = [];
  for (const [failures, limit] of [
    [accountFailures, policy.maxFailuresPerAccount],
    [ipFailures, policy.maxFailuresPerIp],
  ] as const) {
    if (failures.length >= limit) {
      // The attempt is allowed again once enough failures have aged out of the window.
      const unlocking = failures[failures.length - limit];
      waits.push(unlocking.getTime() + policy.windowMs - now.getTime());
    }
  }
  if (waits.length === 0) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(...waits) / 1000)) };
}
