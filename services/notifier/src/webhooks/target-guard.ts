import { promises as dns, type LookupAddress } from 'node:dns';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import { AddressAllowList, refusedAddressReason } from '../domain/address-policy';

/**
 * The SSRF guard of webhooks. A URL must be http(s), name an allowed port, and every address its
 * host resolves to must be public (`refusedAddressReason`) or on the explicit allow-list (for
 * development and tests). It is checked when a webhook is created or changed, and again at every
 * delivery — where the connection goes to the very addresses that were checked: the agent's
 * `lookup` resolves, checks and hands those addresses to the socket, so a DNS answer that changes
 * between the check and the connection (rebinding) cannot slip an internal address in.
 */

export class TargetRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TargetRefused';
  }
}

export interface TargetGuardSettings {
  allowedPorts: number[];
  /** CIDRs reachable although internal, on any port (development, tests). */
  allowedNetworks: string[];
  /** Resolve with these DNS servers instead of the system resolver. */
  dnsServers?: string[];
  /** Longest a resolution may take. */
  timeoutMs: number;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export class WebhookTargetGuard {
  private readonly allowList: AddressAllowList;
  private readonly resolver?: dns.Resolver;

  constructor(private readonly settings: TargetGuardSettings) {
    this.allowList = new AddressAllowList(settings.allowedNetworks);
    if (settings.dnsServers && settings.dnsServers.length > 0) {
      this.resolver = new dns.Resolver({ timeout: settings.timeoutMs, tries: 1 });
      this.resolver.setServers(settings.dnsServers);
    }
  }

  /** The URL's own rules (scheme, port, form), before any resolution. */
  parse(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new TargetRefused('Not a valid absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TargetRefused('Only http and https URLs');
    if (url.hostname === '') throw new TargetRefused('The URL has no host');
    return url;
  }

  /** Whether the URL may be called now: its form, its port and every address its host has. */
  async check(text: string): Promise<URL> {
    const url = this.parse(text);
    // Without an allow-list a port outside the list is refused before anything is resolved.
    if (this.allowList.empty) this.checkPort(url, []);
    const addresses = await this.resolve(hostOf(url));
    this.checkPort(url, addresses);
    return url;
  }

  /** Agents for one request to `url`, whose sockets connect only to checked addresses. */
  agentsFor(url: URL, timeoutMs: number): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
    const lookup = (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
      this.resolve(hostname).then(
        (addresses) => {
          try {
            this.checkPort(url, addresses);
          } catch (error) {
            return callback(Object.assign(error as Error, { code: 'ESSRF' }), '');
          }
          if (options.all) callback(null, addresses);
          else callback(null, addresses[0].address, addresses[0].family);
        },
        (error: NodeJS.ErrnoException) => callback(error, ''),
      );
    };
    // No keep-alive: every attempt resolves and checks afresh.
    const common = { keepAlive: false, timeout: timeoutMs, lookup: lookup as never };
    return { httpAgent: new HttpAgent(common), httpsAgent: new HttpsAgent(common) };
  }

  /** The host's addresses, each checked; an IP literal is its own address. */
  async resolve(host: string): Promise<LookupAddress[]> {
    const literal = isIP(host);
    const addresses: LookupAddress[] = literal
      ? [{ address: host, family: literal }]
      : await this.resolveName(host).catch((error: NodeJS.ErrnoException) => {
          throw new TargetRefused(`The host ${host} cannot be resolved (${error.code ?? error.message})`);
        });
    if (addresses.length === 0) throw new TargetRefused(`The host ${host} has no address`);
    for (const { address } of addresses) {
      if (this.allowList.has(address)) continue;
      const reason = refusedAddressReason(address);
      if (reason) throw new TargetRefused(`The host resolves to ${address}, a ${reason} address`);
    }
    return addresses;
  }

  private checkPort(url: URL, addresses: LookupAddress[]): void {
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    if (this.settings.allowedPorts.includes(port)) return;
    // Allow-listed receivers (a development machine, a test) listen wherever they like.
    if (addresses.length > 0 && addresses.every(({ address }) => this.allowList.has(address))) return;
    throw new TargetRefused(
      `Port ${port} is not allowed (allowed: ${this.settings.allowedPorts.join(', ')})`,
    );
  }

  private async resolveName(host: string): Promise<LookupAddress[]> {
    if (!this.resolver) return dns.lookup(host, { all: true, verbatim: true });
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(host), this.resolver.resolve6(host)]);
    const found = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 })) : []),
    ];
    if (found.length === 0 && v4.status === 'rejected') throw v4.reason;
    return found;
  }
}

/** The URL's host as a resolver or a socket takes it (IPv6 literals without brackets). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
