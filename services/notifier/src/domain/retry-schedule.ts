/** Exponential back-off with jitter, for e-mail and webhook retries. */
export interface RetrySchedule {
  /** Delay before the second attempt. */
  baseMs: number;
  /** Each further delay is this many times the one before. */
  factor: number;
  /** No delay is longer. */
  maxMs: number;
  /** Attempts in all (the first included); after the last failure the delivery is failed. */
  maxAttempts: number;
}

/**
 * The delay after failed attempt number `attempt` (1 = the first), or null when it was the last.
 * Jitter spreads the delay over ±20 % so that deliveries failing together do not retry together.
 */
export function retryDelayMs(
  schedule: RetrySchedule,
  attempt: number,
  random: () => number = Math.random,
): number | null {
  if (attempt >= schedule.maxAttempts) return null;
  const exponential = Math.min(schedule.maxMs, schedule.baseMs * schedule.factor ** (attempt - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}
