// Names and addresses of one testbed instance, derived from its id alone (no I/O), so a later
// CLI invocation computes exactly what `up` created.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type LinkName = 'uplink' | 'primary' | 'backup';
export const LINK_NAMES: readonly LinkName[] = ['uplink', 'primary', 'backup'];

export const MAX_ID = 15;
export const MAX_TARGETS = 250;
export const DEFAULT_TARGETS = 4;

export interface LinkPlan {
  name: LinkName;
  /** The end in the edge namespace; failing the link sets this end down. */
  edgeIf: string;
  edgeAddress: string;
  /** The other end: in the core namespace, or in the root namespace for the uplink. */
  peerNs: string | null;
  peerIf: string;
  peerAddress: string;
  /** Where echo requests entering over this link are dropped for loss: the end away from root. */
  lossAt: { ns: string; ifName: string };
}

/** A static route the testbed installs; `ns` null is the root namespace. */
export interface StaticRoute {
  ns: string | null;
  dst: string;
  via: string;
  metric?: number;
}

export interface Plan {
  id: number;
  prefix: string;
  edgeNs: string;
  coreNs: string;
  targetsIf: string;
  targets: string[];
  targetsPrefix: string;
  hostAddress: string;
  agentAddress: string;
  /** The uplink /30: the root namespace's addresses as the testbed sees them. */
  uplinkPrefix: string;
  links: Record<LinkName, LinkPlan>;
  routes: StaticRoute[];
  stateDir: string;
}

export function validateId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new Error(`testbed id must be an integer 0..${MAX_ID}, got ${id}`);
  return id;
}

export function validateTargets(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_TARGETS) {
    throw new Error(`testbed targets must be an integer 1..${MAX_TARGETS}, got ${count}`);
  }
  return count;
}

/** State that a later process needs (pids, config files) lives here. */
export function stateDirFor(id: number): string {
  return path.join(fs.existsSync('/run') ? '/run' : os.tmpdir(), `statetrace-testbed-${id}`);
}

export function planFor(id: number, targetCount: number = DEFAULT_TARGETS): Plan {
  validateId(id);
  validateTargets(targetCount);
  // Block 198.18.(id*16).0/20: .b = uplink, .b+1 = primary, .b+2 = backup, .b+8 = targets.
  const net = (offset: number, host: number): string => `198.18.${id * 16 + offset}.${host}`;
  const prefix = `st${id}-`;
  const edgeNs = `${prefix}edge`;
  const coreNs = `${prefix}core`;
  const link = (name: LinkName, shortName: string, offset: number, peerNs: string | null): LinkPlan => {
    const edgeIf = `${prefix}${shortName}-e`;
    const peerIf = peerNs === null ? `${prefix}${shortName}` : `${prefix}${shortName}-c`;
    // The uplink's edge address is .2 (root is .1); on edge–core links the edge is .1.
    const [edgeHost, peerHost] = peerNs === null ? [2, 1] : [1, 2];
    return {
      name,
      edgeIf,
      edgeAddress: net(offset, edgeHost),
      peerNs,
      peerIf,
      peerAddress: net(offset, peerHost),
      lossAt: peerNs === null ? { ns: edgeNs, ifName: edgeIf } : { ns: peerNs, ifName: peerIf },
    };
  };
  const links: Record<LinkName, LinkPlan> = {
    uplink: link('uplink', 'up', 0, null),
    primary: link('primary', 'pri', 1, coreNs),
    backup: link('backup', 'bak', 2, coreNs),
  };
  const targetsPrefix = `${net(8, 0)}/24`;
  const uplinkPrefix = `${net(0, 0)}/30`;
  const routes: StaticRoute[] = [
    { ns: null, dst: targetsPrefix, via: links.uplink.edgeAddress },
    { ns: null, dst: `${net(1, 0)}/30`, via: links.uplink.edgeAddress },
    { ns: null, dst: `${net(2, 0)}/30`, via: links.uplink.edgeAddress },
    { ns: edgeNs, dst: targetsPrefix, via: links.primary.peerAddress },
    // Core returns over the primary; the backup route only takes over while the primary has
    // no carrier (ignore_routes_with_linkdown), so a failover done on the edge alone works.
    { ns: coreNs, dst: uplinkPrefix, via: links.primary.edgeAddress, metric: 100 },
    { ns: coreNs, dst: uplinkPrefix, via: links.backup.edgeAddress, metric: 200 },
  ];
  return {
    id,
    prefix,
    edgeNs,
    coreNs,
    targetsIf: `${prefix}tgt`,
    targets: Array.from({ length: targetCount }, (_, i) => net(8, i + 1)),
    targetsPrefix,
    hostAddress: links.uplink.peerAddress,
    agentAddress: links.uplink.edgeAddress,
    uplinkPrefix,
    links,
    routes,
    stateDir: stateDirFor(id),
  };
}
