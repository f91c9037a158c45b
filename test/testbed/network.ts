// Namespaces, veth links, addresses and routes of one instance; failing and healing links.
import fs from 'node:fs';
import path from 'node:path';
import { CommandError, inNamespace, ip, namespaceExists, sysctl } from './exec';
import type { LinkPlan, Plan, StaticRoute } from './plan';

/**
 * 198.18.0.0/15 is reserved for our own test hosts. This catch-all keeps any probe of an
 * address in it that no testbed serves on this machine, instead of following the host's
 * default route out (testbed routes are more specific and win).
 */
export async function keepTestNetLocal(): Promise<void> {
  await ip(null, ['route', 'replace', 'unreachable', '198.18.0.0/15', 'metric', '4095']);
}

export async function buildNetwork(plan: Plan): Promise<void> {
  const { edgeNs, coreNs, links } = plan;
  await keepTestNetLocal();
  for (const ns of [edgeNs, coreNs]) {
    await ip(null, ['netns', 'add', ns]);
    await ip(ns, ['link', 'set', 'lo', 'up']);
    // Without ignore_routes_with_linkdown a namespace keeps sending over a link whose far end
    // is down; rp_filter off so replies may come back over another link after a failover.
    await sysctl(ns, {
      'net.ipv4.conf.all.ignore_routes_with_linkdown': 1,
      'net.ipv4.conf.default.ignore_routes_with_linkdown': 1,
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.default.rp_filter': 0,
    });
  }
  await sysctl(edgeNs, { 'net.ipv4.ip_forward': 1 });
  // The ICMP responder answers echo requests in core, with the delay a test asked for.
  await sysctl(coreNs, { 'net.ipv4.icmp_echo_ignore_all': 1 });

  for (const link of Object.values(links)) await buildLink(plan, link);

  await addTargetsInterface(plan);
  const batch = path.join(plan.stateDir, 'targets.ip-batch');
  fs.writeFileSync(batch, plan.targets.map((address) => `address add ${address}/32 dev ${plan.targetsIf}\n`).join(''));
  await ip(coreNs, ['-batch', batch]);
  await ip(coreNs, ['link', 'set', plan.targetsIf, 'up']);

  for (const route of plan.routes) await installRoute(route);
}

/** A dummy interface; ifb where the kernel lacks dummy (as here): both just hold local addresses. */
async function addTargetsInterface(plan: Plan): Promise<void> {
  try {
    await ip(plan.coreNs, ['link', 'add', plan.targetsIf, 'type', 'dummy']);
  } catch (err) {
    if (!(err instanceof CommandError && /Unknown device type/.test(err.stderr))) throw err;
    await ip(plan.coreNs, ['link', 'add', plan.targetsIf, 'type', 'ifb']);
  }
}

async function buildLink(plan: Plan, link: LinkPlan): Promise<void> {
  // Created from the edge namespace (or root, for the uplink) with its peer placed directly
  // in the other namespace.
  const creatorNs = link.peerNs === null ? null : plan.edgeNs;
  const [localIf, remoteIf, remoteNs] = link.peerNs === null ? [link.peerIf, link.edgeIf, plan.edgeNs] : [link.edgeIf, link.peerIf, link.peerNs];
  await ip(creatorNs, ['link', 'add', localIf, 'type', 'veth', 'peer', 'name', remoteIf, 'netns', remoteNs]);
  for (const [ns, ifName, address] of [
    [plan.edgeNs, link.edgeIf, link.edgeAddress],
    [link.peerNs, link.peerIf, link.peerAddress],
  ] as const) {
    if (ns !== null) {
      await sysctl(ns, {
        [`net.ipv4.conf.${ifName}.ignore_routes_with_linkdown`]: 1,
        [`net.ipv4.conf.${ifName}.rp_filter`]: 0,
      });
    }
    await ip(ns, ['address', 'add', `${address}/30`, 'dev', ifName]);
    await ip(ns, ['link', 'set', ifName, 'up']);
  }
}

async function installRoute(route: StaticRoute): Promise<void> {
  const metric = route.metric === undefined ? [] : ['metric', String(route.metric)];
  await ip(route.ns, ['route', 'replace', route.dst, 'via', route.via, ...metric]);
}

/** Removes namespaces (their veths go with them) and the root end of the uplink. */
export async function removeNetwork(plan: Plan): Promise<void> {
  for (const ns of [plan.edgeNs, plan.coreNs]) {
    if (await namespaceExists(ns)) await ip(null, ['netns', 'delete', ns]);
  }
  // Normally gone with the edge namespace; left over if `up` failed half-way. Its root routes
  // disappear with it.
  const hostIf = plan.links.uplink.peerIf;
  if (fs.existsSync(`/sys/class/net/${hostIf}`)) {
    await ip(null, ['link', 'delete', hostIf]).catch((err: unknown) => {
      // The kernel destroys the pair of a deleted namespace in the background: it can vanish
      // between the check and the delete.
      if (!(err instanceof CommandError && /Cannot find device/.test(err.stderr))) throw err;
    });
  }
}

interface IpRoute {
  dst: string;
  gateway?: string;
  protocol?: string;
  metric?: number;
  scope?: string;
  prefsrc?: string;
}

/**
 * Sets the edge end of a link down and returns the `ip route add` arguments of the routes
 * this deletes (the kernel flushes routes through an interface that goes down).
 */
export async function failLink(plan: Plan, link: LinkPlan): Promise<string[][]> {
  const routes = JSON.parse(await ip(plan.edgeNs, ['-j', 'route', 'show', 'dev', link.edgeIf])) as IpRoute[];
  const lost = routes
    .filter((r) => r.protocol !== 'kernel') // connected routes come back with the link
    .map((r) => [
      r.dst,
      ...(r.gateway ? ['via', r.gateway] : []),
      'dev',
      link.edgeIf,
      ...(r.metric ? ['metric', String(r.metric)] : []),
      ...(r.protocol ? ['proto', r.protocol] : []),
      ...(r.scope && r.scope !== 'global' ? ['scope', r.scope] : []),
      ...(r.prefsrc ? ['src', r.prefsrc] : []),
    ]);
  await ip(plan.edgeNs, ['link', 'set', link.edgeIf, 'down']);
  return lost;
}

/**
 * Sets the edge end up and re-adds the routes it lost. A route whose destination was taken
 * meanwhile (e.g. by a failover onto the backup) is left as it is: `add`, not `replace`.
 */
export async function healLink(plan: Plan, link: LinkPlan, lostRoutes: string[][]): Promise<void> {
  await ip(plan.edgeNs, ['link', 'set', link.edgeIf, 'up']);
  for (const args of lostRoutes) {
    try {
      await ip(plan.edgeNs, ['route', 'add', ...args]);
    } catch (err) {
      if (!(err instanceof CommandError && /File exists/.test(err.stderr))) throw err;
    }
  }
}

/** ifIndex of an edge interface as snmpd (running in the edge namespace) reports it. */
export async function edgeIfIndex(plan: Plan, ifName: string): Promise<number> {
  return Number((await inNamespace(plan.edgeNs, 'cat', [`/sys/class/net/${ifName}/ifindex`])).trim());
}
