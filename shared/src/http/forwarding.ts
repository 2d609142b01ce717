import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * Who may tell a service where a request came from. The client address decides rate limits and
 * login throttling, so `X-Forwarded-For` and its relatives are believed only from the gateway:
 * the connection must come from a trusted proxy address (`TRUSTED_PROXIES`, default loopback) and,
 * when `PROXY_SECRET` is set, carry it in `x-proxy-secret`. Anything else has its forwarding
 * headers removed before express reads them, so `req.ip` is the peer's own address.
 */
export interface ForwardingPolicy {
  /** proxy-addr's syntax: `loopback`, `uniquelocal`, CIDRs, addresses; comma-separated. */
  trustedProxies: string;
  /** Shared with the gateway, which sends it on every proxied request. */
  secret?: string;
}

export const PROXY_SECRET_HEADER = 'x-proxy-secret';

const FORWARDING_HEADERS = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'forwarded',
];

function sameSecret(given: string | string[] | undefined, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Returns a function that strips forwarding headers a request is not entitled to (run it before express). */
export function forwardingGuard(policy: ForwardingPolicy): (req: IncomingMessage) => void {
  const isTrustedPeer = proxyAddr.compile(
    policy.trustedProxies
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  );
  return (req) => {
    const peer = req.socket.remoteAddress ?? '';
    const trusted =
      peer !== '' &&
      isTrustedPeer(peer, 0) &&
      (policy.secret === undefined || sameSecret(req.headers[PROXY_SECRET_HEADER], policy.secret));
    delete req.headers[PROXY_SECRET_HEADER];
    if (!trusted) for (const name of FORWARDING_HEADERS) delete req.headers[name];
  };
}

/** Whether `text` is a proxy list proxy-addr accepts (for config validation). */
export function isProxyList(text: string): boolean {
  try {
    proxyAddr.compile(
      text
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    );
    return true;
  } catch {
    return false;
  }
}
