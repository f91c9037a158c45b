import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch, type RequestInit, type Response } from 'undici';

/**
 * Where StateTrace may send HTTP requests whose URL an operator typed (webhook subscriptions,
 * webhook executors): public unicast addresses, and the ranges of STATETRACE_OUTBOUND_ALLOW.
 * Loopback (the embedded Temporal server and UI, FerretDB, the API itself), private,
 * link-local (the cloud metadata address), carrier-grade NAT, reserved, multicast and
 * unspecified addresses are refused unless listed.
 */
export interface OutboundPolicy {
  /** The ranges listed in STATETRACE_OUTBOUND_ALLOW, as given. */
  readonly allow: readonly string[];
  /** Why a request to this address is refused, or undefined when it may go. */
  refusal(address: string): string | undefined;
}

/** Parses a comma-separated list of CIDR ranges (`127.0.0.1/32,198.18.0.0/15,fd00::/8`); a bare address is its own /32 or /128. */
export function outboundPolicy(allowList: string): OutboundPolicy {
  const allow = allowList
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const ranges = allow.map((entry) => {
    try {
      if (entry.includes('/')) return ipaddr.parseCIDR(entry);
      const ip = ipaddr.process(entry);
      return [ip, ip.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    } catch {
      throw new Error(`STATETRACE_OUTBOUND_ALLOW: "${entry}" is not an address or CIDR range (e.g. 198.18.0.0/15)`);
    }
  });
  return {
    allow,
    refusal(address) {
      if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
      // ::ffff:127.0.0.1 is 127.0.0.1.
      const ip = ipaddr.process(address);
      const range = ip.range();
      if (range === 'unicast') return undefined;
      if (ranges.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return undefined;
      return `${ip.toString()} is a ${RANGE_NAMES[range] ?? range} address; STATETRACE_OUTBOUND_ALLOW lists the ranges outbound requests may reach besides public ones`;
    },
  };
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private (RFC 1918)',
  linkLocal: 'link-local (cloud metadata lives here)',
  uniqueLocal: 'unique-local',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
};

/** An outbound request refused by the policy, before any byte was sent. */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

/**
 * Checks a URL where it is accepted (a webhook subscription): http(s), and every address
 * its host name resolves to allowed. Throws OutboundRefused with the reason.
 */
export async function checkOutboundUrl(url: string, policy: OutboundPolicy): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OutboundRefused(`${url}: only http and https URLs`);
  const host = hostOf(parsed);
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  for (const address of addresses) {
    const why = policy.refusal(address);
    if (why) throw new OutboundRefused(`${parsed.host}: ${why}`);
  }
}

const agents = new WeakMap<OutboundPolicy, Agent>();

/**
 * fetch under the policy. A literal address is checked before the request; a name is checked
 * when the connection is made, on the addresses the connection will use, so a name that
 * resolved to a public address when it was checked and resolves to loopback now (DNS
 * rebinding) is still refused. Redirects are never followed.
 */
export async function outboundFetch(url: string, init: Omit<RequestInit, 'dispatcher' | 'redirect'>, policy: OutboundPolicy): Promise<Response> {
  const host = hostOf(new URL(url));
  if (isIP(host)) {
    const why = policy.refusal(host);
    if (why) throw new OutboundRefused(why);
  }
  let agent = agents.get(policy);
  if (!agent) {
    agent = new Agent({ connect: { lookup: guardedLookup(policy) } });
    agents.set(policy, agent);
  }
  return fetch(url, { ...init, redirect: 'manual', dispatcher: agent });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for net.connect that fails the connection when any address is refused. */
function guardedLookup(policy: OutboundPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.map((a) => policy.refusal(a.address)).find(Boolean);
      if (refused) return callback(Object.assign(new OutboundRefused(`${hostname}: ${refused}`), { code: 'EOUTBOUNDREFUSED' }), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(new OutboundRefused(`${host}: does not resolve (${err.code ?? err.message})`)) : resolve(addresses.map((a) => a.address)))),
  );
}

/** The URL's host without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The policy's reason when a request failed because it refused the address (fetch wraps connect-time refusals in `cause`). */
export function outboundRefusal(err: unknown): string | undefined {
  for (let e = err as Error | undefined; e; e = e.cause as Error | undefined) {
    if (e instanceof OutboundRefused) return e.message;
  }
  return undefined;
}
