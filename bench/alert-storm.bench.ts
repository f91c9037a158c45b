// npm run bench -- alert-storm [--routes 1000] (--quick: 50 routes)
// N routes behind the testbed's primary link, all depending on one router, fail together
// when the link is cut. Counts incidents and paging notifications, and times how long the
// outage takes to gather every route.
import { models } from '../src/models';
import type { Testbed } from '../test/testbed/testbed';
import { benchDatabase, benchOutageRig, numberOption, sleep, type Benchmark } from './support';

function routeFile(tb: Testbed, routes: number): string {
  const lines = [
    'version: 1',
    'classes:',
    '  - { id: fast, thresholds: { latencyMs: 100, lossPct: 20, jitterMs: 30 }, debounce: { failuresToSuspect: 1, failuresToDown: 2, recoveriesToUp: 2, graceSec: 0 } }',
    'teams:',
    '  - { id: net, name: Net, contact: net@example.com, notify: [{ platform: console, target: noc, minSeverity: info }] }',
    'dependencies:',
    '  - { id: core-rtr-storm, kind: router }',
    'escalationPolicies:',
    '  - { id: std, levels: [{ afterSec: 0, notify: ["team:net"] }, { afterSec: 900, notify: ["team:net"] }] }',
    'routes:',
  ];
  for (let i = 0; i < routes; i++) {
    const target = tb.targets[i % tb.targets.length]!;
    lines.push(
      `  - { id: s${i}, name: s${i}, environment: bench, primary: true, class: fast, intervalSec: 1, owner: { team: net }, dependencies: [core-rtr-storm], escalationPolicy: std,`,
      `      probes: [{ kind: icmp-batch, target: ${target}, count: 2, intervalMs: 20, timeoutMs: 300 }], paths: [{ id: primary, role: primary, nextHop: ${tb.links.primary.coreAddress} }] }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export const run: Benchmark = async (ctx) => {
  const routes = numberOption(ctx, 'routes', { full: 1000, quick: 50 });
  const db = await benchDatabase(ctx, {}, { temporal: true });
  const rig = await benchOutageRig(ctx, {
    testbedId: 9,
    targets: 250,
    temporalAddress: db.stack.endpoints.temporalAddress!,
    taskQueue: 'bench-storm',
    failbackDelaySec: 3,
    routeFile: (tb) => routeFile(tb, routes),
  });
  await sleep(5000);
  const cutAt = Date.now();
  await rig.tb.fail('primary');
  let groupedMs = NaN;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const incident = await models.Incident.findOne({ dependency: 'core-rtr-storm' }, { routes: 1 }).lean();
    if (incident && incident.routes.length >= routes) {
      groupedMs = Date.now() - cutAt;
      break;
    }
    await sleep(100);
  }
  await sleep(5000); // anything late would show now
  const incidents = await models.Incident.countDocuments();
  const paged = await models.Notification.countDocuments({ page: true });
  const all = await models.Notification.countDocuments();
  console.log(`incidents=${incidents}; notifications: ${paged} paged, ${all} in all; routes in the incident: ${(await models.Incident.findOne({}, { routes: 1 }).lean())?.routes.length}`);
  await rig.tb.heal('primary');
  const problems = [
    ...(incidents === 1 ? [] : [`${incidents} incidents for one router's failure, not 1`]),
    ...(paged === 1 ? [] : [`${paged} paging notifications, not 1`]),
  ];
  return { fields: { routes, incidents, notifications: paged, grouped_ms: groupedMs }, problems };
};
