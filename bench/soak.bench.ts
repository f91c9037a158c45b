// npm run bench -- soak [--minutes 10] (--quick: 1 minute, the primary down 10 s every 15 s)
// The whole product on two testbeds for `minutes`, at once:
// - noise: every link of testbed 5 loses 10 % of echo requests and adds 20 ± 20 ms → no incident;
// - flap: testbed 6's primary link goes down for 30 s every 45 s → one incident, marked flapping
//   (fail-over by hand there: an automatic one would move the route off the flapping link).
import { models } from '../src/models';
import { LINK_NAMES } from '../test/testbed/plan';
import type { Testbed } from '../test/testbed/testbed';
import { benchDatabase, benchOutageRig, benchTestbed, numberOption, sleep, type Benchmark } from './support';

const NOISE = { delayMs: 20, jitterMs: 20, lossPct: 10 };
const FLAP = { downMs: 30_000, everyMs: 45_000 };
/** --quick: 1 minute; 10 s down every 15 s is still 3 times down within the class's 300 s, so flapping. */
const QUICK_FLAP = { downMs: 10_000, everyMs: 15_000 };
const REPORT_EVERY_MS = 30_000;

/**
 * A lossy-but-working class: 10 % per link compounds to ~19 % across the uplink and the
 * primary that a probe crosses, and the two links' jitters add up; it pages above 40 % loss
 * or 60 ms jitter. Resolution needs the default 2 stable minutes, longer than a flap's 15 s up.
 */
function soakRouteFile(noise: Testbed, flap: Testbed): string {
  const route = (id: string, tb: Testbed) => {
    const prefix = `${tb.targets[0]!.split('.').slice(0, 3).join('.')}.0/24`;
    return `  - id: ${id}
    name: Soak ${id}
    environment: soak
    primary: true
    class: lossy
    destination: ${prefix}
    intervalSec: 1
    probes:
      - { kind: icmp-batch, target: ${tb.targets[0]}, count: 10, intervalMs: 20, timeoutMs: 500 }
    paths:
      - { id: primary, role: primary, nextHop: ${tb.links.primary.coreAddress}, probe: { kind: icmp, target: ${tb.links.primary.coreAddress}, count: 5, intervalMs: 20, timeoutMs: 500 } }
      - { id: backup, role: backup, nextHop: ${tb.links.backup.coreAddress}, probe: { kind: icmp, target: ${tb.targets[0]}, count: 5, intervalMs: 20, timeoutMs: 500 } }
    owner: { team: net }
    failoverPolicy: ${id}-edge
    escalationPolicy: soak
`;
  };
  const policy = (id: string, tb: Testbed, mode: 'automatic' | 'manual') =>
    `  - { id: ${id}-edge, mode: ${mode}, failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 30, failbackMode: automatic, executor: { kind: command, argv: [ip, -n, ${tb.prefix}edge, route, replace, "{{route.destination}}", via, "{{to.nextHop}}"], timeoutSec: 10 } }\n`;
  return `version: 1
classes:
  - id: lossy
    thresholds: { latencyMs: 150, lossPct: 40, jitterMs: 60 }
    telemetrySlaSec: 30
    debounce: { failuresToSuspect: 1, failuresToDown: 3, recoveriesToUp: 3, graceSec: 5 }
    flapping: { transitions: 3, windowSec: 300 }
teams:
  - { id: net, name: Net, contact: net@example.com, notify: [{ platform: console, target: noc, minSeverity: info }] }
escalationPolicies:
  - { id: soak, levels: [{ afterSec: 0, notify: ["team:net"] }, { afterSec: 3600, notify: ["team:net"] }] }
failoverPolicies:
${policy('noise', noise, 'automatic')}${policy('flap', flap, 'manual')}routes:
${route('noise', noise)}${route('flap', flap)}`;
}

export const run: Benchmark = async (ctx) => {
  const minutes = numberOption(ctx, 'minutes', { full: 10, quick: 1 });
  const flap = ctx.quick ? QUICK_FLAP : FLAP;
  const db = await benchDatabase(ctx, {}, { temporal: true });
  const flapTb = await benchTestbed(ctx, { id: 6, targets: 1 });
  const rig = await benchOutageRig(ctx, {
    testbedId: 5,
    temporalAddress: db.stack.endpoints.temporalAddress!,
    taskQueue: 'bench-soak',
    failbackDelaySec: 30,
    env: { STATETRACE_RESOLVE_STABLE_SEC: '120', LOG_LEVEL: 'warn' },
    routeFile: (noiseTb) => soakRouteFile(noiseTb, flapTb),
  });
  let flaps = 0;
  for (const link of LINK_NAMES) await rig.tb.degrade(link, NOISE);
  const started = Date.now();
  const endAt = started + minutes * 60_000;
  const flapping = (async () => {
    while (Date.now() + flap.downMs < endAt) {
      const cycleStart = Date.now();
      await flapTb.fail('primary');
      flaps += 1;
      await sleep(flap.downMs);
      await flapTb.heal('primary');
      await sleep(Math.max(0, flap.everyMs - (Date.now() - cycleStart)));
    }
  })();
  while (Date.now() < endAt) {
    await sleep(Math.min(REPORT_EVERY_MS, endAt - Date.now()));
    const count = async (routes: string) => models.Incident.countDocuments({ routes });
    console.log(
      `${Math.round((Date.now() - started) / 1000)} s: noise incidents ${await count('noise')}, flap incidents ${await count('flap')} after ${flaps} flaps, snapshots ${rig.sweeper.stats().snapshots.written}`,
    );
  }
  await flapping;

  const incidents = await models.Incident.find({}, { routes: 1, trigger: 1, state: 1 }).lean();
  const of = (route: string) => incidents.filter((i) => i.routes.includes(route));
  const flapIncidents = of('flap');
  const transitions = async (routeId: string, kind: 'suspect' | 'degraded' | 'down' | 'flapping') => models.RouteTransition.countDocuments({ routeId, kind });
  const flappingNotices = await models.Notification.countDocuments({ kind: 'flapping', incidentId: { $in: flapIncidents.map((i) => i._id) } });
  const noise = await models.RouteHealthSnapshot.find({ routeId: 'noise' }, { status: 1, lossPct: 1, jitterMs: 1, latencyMs: 1 }).lean();
  const snapshots = noise.length;
  const stat = (pick: (s: (typeof noise)[number]) => number | undefined | null) => {
    const v = noise.map(pick).filter((x): x is number => typeof x === 'number');
    return `mean ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1)} max ${Math.max(...v).toFixed(1)}`;
  };
  const notUp = noise.filter((s) => s.status !== 'up').length;
  console.log(`noise: ${snapshots} snapshots (${notUp} not up): loss % ${stat((s) => s.lossPct)}, jitter ms ${stat((s) => s.jitterMs)}, latency ms ${stat((s) => s.latencyMs)}`);
  console.log(`noise: ${of('noise').length} incidents, ${await transitions('noise', 'suspect')} suspicions, ${await transitions('noise', 'degraded')} degraded`);
  console.log(`flap: ${flapIncidents.map((i) => `${i._id} (${i.trigger}, ${i.state})`).join(', ') || 'no incident'}; ${await transitions('flap', 'down')} down transitions, ${await transitions('flap', 'flapping')} flapping, ${flappingNotices} flapping notice(s)`);
  const problems = [
    ...(of('noise').length === 0 ? [] : [`the lossy route that must not page opened ${of('noise').length} incident(s)`]),
    ...(flapIncidents.length === 1 ? [] : [`the flapping route opened ${flapIncidents.length} incidents, not 1`]),
  ];
  return {
    problems,
    fields: { minutes, false_incidents: of('noise').length, flap_incidents: flapIncidents.length, flaps, flapping_notices: flappingNotices, noise_snapshots: snapshots },
  };
};
