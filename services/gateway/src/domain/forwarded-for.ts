/**
 * The part of an incoming X-Forwarded-For the gateway can vouch for: the last `trustedHops`
 * entries, added by the proxies in front of it. Anything earlier was written by the client
 * and could be made up. Returns undefined when nothing is trusted.
 */
export function trustedForwardedFor(
  header: string | string[] | undefined,
  trustedHops: number,
): string | undefined {
  if (trustedHops === 0 || header === undefined) return undefined;
  const entries = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const trusted = entries.slice(-trustedHops);
  return trusted.length ? trusted.join(', ') : undefined;
}
