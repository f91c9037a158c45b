/**
 * SNMP communities are write-only: a route as shown (API, and anything built from it) carries
 * WRITE_ONLY in their place, and a route sent back with WRITE_ONLY keeps the stored value of
 * the probe with the same agent and port. (v3 keys and executor secrets are never in a route:
 * routes name the environment variables that hold them.)
 */
export const WRITE_ONLY = '(write-only)';

interface ProbeLike {
  kind: string;
  agent?: string | null;
  port?: number | null;
  community?: string | null;
}
interface RouteLike {
  probes: readonly ProbeLike[];
  paths: readonly { probe?: ProbeLike | null }[];
}

const probesOf = (route: RouteLike): ProbeLike[] => [...route.probes, ...route.paths.flatMap((p) => (p.probe ? [p.probe] : []))];
const hide = <P extends ProbeLike>(p: P): P => (p.community == null ? p : { ...p, community: WRITE_ONLY });

export function withoutSecrets<R extends RouteLike>(route: R): R {
  return { ...route, probes: route.probes.map(hide), paths: route.paths.map((p) => (p.probe ? { ...p, probe: hide(p.probe) } : p)) };
}

/** The route with each WRITE_ONLY community replaced by the stored one; the problems when a probe has none stored. */
export function withStoredSecrets<R extends RouteLike>(route: R, stored: RouteLike | undefined): { route: R; problems: string[] } {
  const known = new Map(probesOf(stored ?? { probes: [], paths: [] }).filter((p) => p.community != null).map((p) => [`${p.agent}:${p.port ?? 161}`, p.community!]));
  const problems: string[] = [];
  const restore = <P extends ProbeLike>(p: P, where: string): P => {
    if (p.community !== WRITE_ONLY) return p;
    const community = known.get(`${p.agent}:${p.port ?? 161}`);
    if (community === undefined) problems.push(`${where}.community: ${WRITE_ONLY} stands for a stored community, and no probe of this route with agent ${p.agent} has one: send the community itself`);
    return { ...p, community: community ?? p.community };
  };
  return {
    route: { ...route, probes: route.probes.map((p, i) => restore(p, `probes[${i}]`)), paths: route.paths.map((path, i) => (path.probe ? { ...path, probe: restore(path.probe, `paths[${i}].probe`) } : path)) },
    problems,
  };
}
