import { BlockList, isIP } from 'node:net';
import type { PathSegment } from './parse-route-file';
import type { RouteFile, RouteSpec } from './schema';

/** Advice about a valid route file: the import goes ahead, the operator is told. */
export interface DirectoryWarning {
  path: PathSegment[];
  message: string;
}

/**
 * Primary paths whose health cannot be told apart from the active route's. Failback checks run
 * the primary path's probe while the route is on a backup (workflows/failover.ts), so a probe
 * that follows the routing table reads the backup's health there: the primary looks healthy with
 * its link down, and failback switches onto a dead path. Backup paths are left alone: their probe
 * runs right after the route was switched onto them, when following the active route is exactly
 * what verifies the switch.
 */
export function checkPathProbes(file: RouteFile): DirectoryWarning[] {
  return file.routes.flatMap((route, ri) => routePathProbeWarnings(route).map((w) => ({ path: ['routes', ri, ...w.path], message: w.message })));
}

/** The same check for one route; paths are relative to the route (`paths[0].probe`). */
export function routePathProbeWarnings(route: RouteSpec): DirectoryWarning[] {
  const index = route.paths.findIndex((p) => p.role === 'primary');
  const primary = route.paths[index];
  if (!primary) return [];
  const advice = `probe the path's next hop ${primary.nextHop} instead (bound to the path's interface with \`interface:\` when StateTrace runs on the router itself), or its BGP session (kind: snmp, check: bgpPeerState)`;

  if (!primary.probe) {
    if (!route.failoverPolicy) return [];
    const routeFollows = route.probes.some((p) => p.kind !== 'snmp');
    return [
      {
        path: ['paths', index],
        message: routeFollows
          ? `has no probe, so failback checks run the route's own ICMP probes, which measure whatever route is active, not this path (while the route is on a backup the primary reads healthy even with its link down); give it a probe: ${advice.replace(' instead', '')}`
          : "has no probe and the route has no ICMP probe, so failback checks can never measure this path and the route stays on its backup; give the path a probe",
      },
    ];
  }

  const probe = primary.probe;
  if (probe.kind === 'snmp' || probe.source !== undefined || probe.target === primary.nextHop) return [];
  const whose = destinationOf(route, probe.target);
  if (!whose) return [];
  const path: PathSegment[] = ['paths', index, 'probe'];
  if (probe.interface === undefined) {
    return [
      {
        path,
        message: `targets ${probe.target}, ${whose}, from no particular interface or source: it measures whatever route is active, not this path (while the route is on a backup the primary reads healthy even with its link down, and failback switches onto a dead path); ${advice}`,
      },
    ];
  }
  return [
    {
      path,
      message: `sends from interface ${probe.interface} to ${probe.target}, ${whose}: while the route is on another path and no other route via ${probe.interface} covers that address, the kernel takes it for a neighbour on ${probe.interface}, gets no ARP answer and the probe reads down even when this path is healthy, so failback never happens. Probe the next hop ${primary.nextHop} from ${probe.interface}, or keep a standby route to the destination via ${primary.nextHop} with a higher metric`,
    },
  ];
}

/** How `target` is the route's own destination, or undefined when it is not. */
function destinationOf(route: RouteSpec, target: string): string | undefined {
  if (route.destination && inPrefix(target, route.destination)) return `inside the route's destination ${route.destination}`;
  if (route.probes.some((p) => p.kind !== 'snmp' && p.target === target)) return "a target of the route's own probes";
  return undefined;
}

function inPrefix(address: string, prefix: string): boolean {
  const [network, length] = prefix.split('/');
  const family = isIP(network!) === 6 ? 'ipv6' : 'ipv4';
  if ((isIP(address) === 6 ? 'ipv6' : 'ipv4') !== family) return false;
  const block = new BlockList();
  block.addSubnet(network!, Number(length), family);
  return block.check(address, family);
}
