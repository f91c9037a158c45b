// A host with two uplinks, for probes that must measure one path: the root namespace (where the
// product runs, as with the testbed) has a primary and a backup link to a router namespace, and a
// route to the destination that a failover moves between them. The destination is one hop
// further, in a third namespace, so that, as in a real network, no neighbour on either link
// answers ARP for it. Instance N (0..3) uses `stp<N>-…` names and 198.19.(64+16·N).0/20, apart
// from the testbeds' 198.18.0.0/16.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, ip, namespaceExists, sysctl } from './exec';

export type PathName = 'primary' | 'backup';

export interface HostPath {
  /** The host's (root namespace's) end of the link. */
  interface: string;
  address: string;
  /** The router's end: the path's next hop. */
  nextHop: string;
}

export interface TwoPathHost {
  destination: string;
  destinationPrefix: string;
  paths: Record<PathName, HostPath>;
  /** `ip route replace <destination prefix> via <next hop>`: what a failover executor does. */
  routeVia(path: PathName): Promise<void>;
  /** The interface the host's route to the destination leaves by now (`ip route get`). */
  activeInterface(): Promise<string | undefined>;
  /** Sets the host's end of the link down; the kernel drops every route through it. */
  cut(path: PathName): Promise<void>;
  /** Sets it up again and waits for carrier; the route to the destination stays where it is. */
  restore(path: PathName): Promise<void>;
  /** A second route to the destination via the path, with a higher metric (left alone by `routeVia`). */
  addStandbyRoute(path: PathName, metric: number): Promise<void>;
  /**
   * Packets from the path's address go by a table of their own whose route to the destination is
   * via the path. Call it again after `restore`: the kernel deleted that route with the link, and
   * on a real host the route configuration puts it back.
   */
  sendFromViaPolicy(path: PathName): Promise<void>;
  /** Removes the namespaces (and with them both links and every route through them) and the policy rule. */
  down(): Promise<void>;
}

interface Plan {
  routerNs: string;
  farNs: string;
  destination: string;
  destinationPrefix: string;
  /** The router's and the far namespace's ends of the link between them. */
  farLink: { routerAddress: string; farAddress: string };
  /** Routing table that `sendFromViaPolicy` fills for a path's address. */
  policyTable: string;
  paths: Record<PathName, HostPath & { routerIf: string }>;
}

const MAX_ID = 3;

function planFor(id: number): Plan {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new Error(`two-path host id must be an integer 0..${MAX_ID}, got ${id}`);
  const net = (offset: number, host: number) => `198.19.${64 + id * 16 + offset}.${host}`;
  return {
    routerNs: `stp${id}-rtr`,
    farNs: `stp${id}-far`,
    destination: net(8, 1),
    destinationPrefix: `${net(8, 0)}/24`,
    farLink: { routerAddress: net(0, 9), farAddress: net(0, 10) },
    policyTable: String(164 + id),
    paths: {
      primary: { interface: `stp${id}-pri`, address: net(0, 1), nextHop: net(0, 2), routerIf: 'pri-r' },
      backup: { interface: `stp${id}-bak`, address: net(0, 5), nextHop: net(0, 6), routerIf: 'bak-r' },
    },
  };
}

/** Builds instance `id`; one left over with the same id is removed first. */
export async function twoPathHostUp(id = 0): Promise<TwoPathHost> {
  const plan = planFor(id);
  await removeHost(plan);
  try {
    await build(plan);
  } catch (err) {
    await removeHost(plan).catch(() => undefined); // the first error is the one that matters
    throw err;
  }
  const { paths, destinationPrefix, policyTable } = plan;
  return {
    destination: plan.destination,
    destinationPrefix,
    paths: { primary: publicView(paths.primary), backup: publicView(paths.backup) },
    routeVia: async (path) => {
      await ip(null, ['route', 'replace', destinationPrefix, 'via', paths[path].nextHop]);
    },
    activeInterface: async () => {
      try {
        const [route] = JSON.parse(await ip(null, ['-j', 'route', 'get', plan.destination])) as { dev?: string }[];
        return route?.dev;
      } catch (err) {
        if (err instanceof CommandError && /unreachable/i.test(err.stderr)) return undefined;
        throw err;
      }
    },
    cut: async (path) => {
      await ip(null, ['link', 'set', paths[path].interface, 'down']);
    },
    restore: async (path) => {
      await ip(null, ['link', 'set', paths[path].interface, 'up']);
      await waitForCarrier(paths[path].interface);
    },
    addStandbyRoute: async (path, metric) => {
      await ip(null, ['route', 'replace', destinationPrefix, 'via', paths[path].nextHop, 'metric', String(metric)]);
    },
    sendFromViaPolicy: async (path) => {
      const { address, nextHop } = paths[path];
      await ip(null, ['route', 'replace', destinationPrefix, 'via', nextHop, 'table', policyTable]);
      // Without a route in the path's table the lookup would fall through to the main table (the active route).
      await ip(null, ['route', 'replace', 'unreachable', 'default', 'table', policyTable]);
      const rules = JSON.parse(await ip(null, ['-j', 'rule', 'show', 'from', address])) as unknown[];
      if (rules.length === 0) await ip(null, ['rule', 'add', 'from', address, 'lookup', policyTable]);
    },
    down: () => removeHost(plan),
  };
}

async function build(plan: Plan): Promise<void> {
  const { routerNs, farNs, farLink } = plan;
  for (const ns of [routerNs, farNs]) {
    await ip(null, ['netns', 'add', ns]);
    await ip(ns, ['link', 'set', 'lo', 'up']);
    await sysctl(ns, { 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0 });
  }
  await sysctl(routerNs, { 'net.ipv4.ip_forward': 1 });
  for (const path of Object.values(plan.paths)) {
    await ip(null, ['link', 'add', path.interface, 'type', 'veth', 'peer', 'name', path.routerIf, 'netns', routerNs]);
    await ip(null, ['address', 'add', `${path.address}/30`, 'dev', path.interface]);
    await ip(routerNs, ['address', 'add', `${path.nextHop}/30`, 'dev', path.routerIf]);
    await ip(routerNs, ['link', 'set', path.routerIf, 'up']);
    await ip(null, ['link', 'set', path.interface, 'up']);
  }
  await ip(routerNs, ['link', 'add', 'far-r', 'type', 'veth', 'peer', 'name', 'far-f', 'netns', farNs]);
  await ip(routerNs, ['address', 'add', `${farLink.routerAddress}/30`, 'dev', 'far-r']);
  await ip(farNs, ['address', 'add', `${farLink.farAddress}/30`, 'dev', 'far-f']);
  await ip(routerNs, ['link', 'set', 'far-r', 'up']);
  await ip(farNs, ['link', 'set', 'far-f', 'up']);
  await ip(farNs, ['address', 'add', `${plan.destination}/32`, 'dev', 'lo']);
  await ip(farNs, ['route', 'add', 'default', 'via', farLink.routerAddress]);
  await ip(routerNs, ['route', 'add', plan.destinationPrefix, 'via', farLink.farAddress]);
  await ip(null, ['route', 'replace', plan.destinationPrefix, 'via', plan.paths.primary.nextHop]);
  for (const path of Object.values(plan.paths)) await waitForCarrier(path.interface);
}

async function removeHost(plan: Plan): Promise<void> {
  for (const { address } of Object.values(plan.paths)) {
    const rules = JSON.parse(await ip(null, ['-j', 'rule', 'show', 'from', address])) as unknown[];
    for (let i = 0; i < rules.length; i++) await ip(null, ['rule', 'del', 'from', address]);
  }
  for (const route of [[plan.destinationPrefix], ['unreachable', 'default']]) {
    await ip(null, ['route', 'del', ...route, 'table', plan.policyTable]).catch(unless(/No such process|does not exist/));
  }
  for (const ns of [plan.routerNs, plan.farNs]) {
    if (await namespaceExists(ns)) await ip(null, ['netns', 'delete', ns]);
  }
  // Normally gone with the router namespace (their peers were in it), a moment after it.
  for (const { interface: ifName } of Object.values(plan.paths)) {
    if (fs.existsSync(`/sys/class/net/${ifName}`)) await ip(null, ['link', 'delete', ifName]).catch(unless(/Cannot find device/));
  }
}

/** A rejection handler that swallows a command error whose stderr matches (the thing is already gone). */
function unless(gone: RegExp): (err: unknown) => void {
  return (err) => {
    if (!(err instanceof CommandError && gone.test(err.stderr))) throw err;
  };
}

async function waitForCarrier(ifName: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (fs.readFileSync(`/sys/class/net/${ifName}/operstate`, 'utf8').trim() === 'up') return;
    await sleep(20);
  }
  throw new Error(`two-path host: ${ifName} has no carrier after 2 s`);
}

function publicView({ interface: ifName, address, nextHop }: HostPath): HostPath {
  return { interface: ifName, address, nextHop };
}
