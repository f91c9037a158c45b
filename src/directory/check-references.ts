import type { PathSegment } from './parse-route-file';
import type { RouteFile } from './schema';

export interface ReferenceProblem {
  path: PathSegment[];
  message: string;
}

type Section = 'classes' | 'teams' | 'dependencies' | 'escalationPolicies' | 'failoverPolicies' | 'routes';

/** Duplicate ids within a section and references to ids nobody declared. */
export function checkReferences(file: RouteFile): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const declared = {} as Record<Section, Map<string, number>>;
  for (const section of ['classes', 'teams', 'dependencies', 'escalationPolicies', 'failoverPolicies', 'routes'] as const) {
    declared[section] = new Map();
    file[section].forEach((entry, i) => {
      const first = declared[section].get(entry.id);
      if (first === undefined) declared[section].set(entry.id, i);
      else problems.push({ path: [section, i, 'id'], message: `duplicate id "${entry.id}" (first declared at ${section}[${first}])` });
    });
  }
  const expect = (section: Section, value: string | undefined, path: PathSegment[], what: string) => {
    if (value === undefined || declared[section].has(value)) return;
    const known = [...declared[section].keys()];
    const hint = known.length ? `; declared: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}` : `; the file declares no ${section}`;
    problems.push({ path, message: `unknown ${what} "${value}"${hint}` });
  };

  file.escalationPolicies.forEach((policy, pi) =>
    policy.levels.forEach((level, li) =>
      level.notify.forEach((target, ti) => {
        if (target.startsWith('team:')) expect('teams', target.slice(5), ['escalationPolicies', pi, 'levels', li, 'notify', ti], 'team');
      }),
    ),
  );
  file.routes.forEach((route, ri) => {
    const at = (...rest: PathSegment[]) => ['routes', ri, ...rest];
    expect('classes', route.class, at('class'), 'route class');
    expect('teams', route.owner.team, at('owner', 'team'), 'owner team');
    expect('failoverPolicies', route.failoverPolicy, at('failoverPolicy'), 'failover policy');
    expect('escalationPolicies', route.escalationPolicy, at('escalationPolicy'), 'escalation policy');
    route.dependencies.forEach((dep, di) => expect('dependencies', dep, at('dependencies', di), 'dependency'));
    const pathIds = new Set<string>();
    route.paths.forEach((p, pi) => {
      if (pathIds.has(p.id)) problems.push({ path: at('paths', pi, 'id'), message: `duplicate path id "${p.id}" in this route` });
      pathIds.add(p.id);
    });
    if (route.failoverPolicy && !route.paths.some((p) => p.role === 'backup')) {
      problems.push({ path: at('failoverPolicy'), message: 'a failover policy needs at least one path with role backup' });
    }
  });
  return problems;
}
