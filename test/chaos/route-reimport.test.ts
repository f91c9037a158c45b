import type { DebounceState } from '../../src/health/debounce';
import { models } from '../../src/models';
import { outageState } from '../../workflows/messages';
import { spawnCli } from '../support/cli';
import { testMongoUri, useTestDatabase } from '../support/database';
import { rigRouteFile, startOutageRig, type OutageRig } from '../support/outage-rig';
import { isolateSuite } from '../support/suite-isolation';
import { until } from '../support/until';
import { writeTempFile } from '../fixtures/route-files';
import type { Testbed } from '../testbed/testbed';

/**
 * The route file re-imported with `statetrace routes import` in the middle of an outage, on
 * the testbed (id 4) with the product running: the primary link is cut, tb-route has failed
 * over, tb-uplink (the primary link itself, same circuit: same incident) is still down.
 * Unchanged, then changed as an engineer would mid-incident (a new escalation level and
 * team, looser thresholds, a description, a new route), then broken twice (invalid YAML, a
 * dangling reference). The incident goes on untouched, the sweeper picks the change up
 * within its 15 s reload, snapshots keep coming, and the outage ends normally after the heal.
 */
// Declared before the database's own afterAll, so the rig stops while mongoose is still connected.
afterAll(() => rig?.stop(), 60_000);
const db = useTestDatabase('chaos_route_reimport');
const RELOAD_MS = 15_000;
let rig: OutageRig;
let original: string;
beforeAll(async () => {
  rig = await startOutageRig({
    testbedId: 4,
    temporalAddress: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS!,
    ...isolateSuite(),
    failbackDelaySec: 5,
    routeFile: (tb) => (original = withUplink(tb)),
  });
}, 90_000);

/** The rig's route file plus tb-uplink, both on the primary circuit (one outage for both). */
function withUplink(tb: Testbed): string {
  const primary = tb.links.primary.coreAddress;
  return `${rigRouteFile(tb, 5).replace('failoverPolicies:', 'dependencies:\n  - { id: tb-primary-circuit, kind: circuit }\nfailoverPolicies:').replace('    escalationPolicy: std\n', '    escalationPolicy: std\n    dependencies: [tb-primary-circuit]\n')}  - id: tb-uplink
    name: Primary uplink
    environment: testbed
    primary: false
    class: fast
    intervalSec: 1
    probes: [{ kind: icmp, target: ${primary}, count: 3, intervalMs: 20, timeoutMs: 300 }]
    paths: [{ id: primary, role: primary, nextHop: ${primary} }]
    owner: { team: net }
    escalationPolicy: std
    dependencies: [tb-primary-circuit]
`;
}

/** What an engineer changes mid-incident: a third escalation level to a new team, looser latency, a description, a new route. */
function changedMidIncident(tb: Testbed): string {
  return `${original
    .replace('teams:\n', 'teams:\n  - { id: ops, name: Ops, contact: ops@example.com, notify: [{ platform: console, target: ops, minSeverity: major }] }\n')
    .replace('{ afterSec: 600, notify: ["team:net"] }', '{ afterSec: 600, notify: ["team:net"] }, { afterSec: 1200, notify: ["team:ops"] }')
    .replace('thresholds: { latencyMs: 100,', 'thresholds: { latencyMs: 150,')
    .replace('    name: Testbed route\n', '    name: Testbed route\n    description: carrier ticket 4711 open for the primary circuit\n')}  - id: tb-target-watch
    name: Target seen from the edge
    environment: testbed
    primary: false
    class: fast
    intervalSec: 1
    probes: [{ kind: icmp, target: ${tb.targets[0]}, count: 3, intervalMs: 20, timeoutMs: 300 }]
    paths: [{ id: via-edge, role: primary, nextHop: ${tb.links.backup.coreAddress} }]
    owner: { team: ops }
`;
}

/** `statetrace routes import <file>` as its own process (the sweeper in this one must not stall). */
async function cliImport(text: string): Promise<{ code: number | null; output: string }> {
  const uri = new URL(testMongoUri());
  uri.pathname = `/${db.dbName}`;
  const run = spawnCli(['routes', 'import', writeTempFile(text)], { MONGODB_URI: uri.toString(), LOG_LEVEL: 'warn' });
  const code = await run.exited;
  return { code, output: run.output() };
}

/** The route directory as stored (what an import writes), to show a refused import changed nothing. */
async function directory() {
  const collections = [models.RouteRecord, models.RouteClass, models.Team, models.NotificationPreference, models.Dependency, models.EscalationPolicy, models.FailoverPolicy].map((m) => m.collection);
  return Promise.all(collections.map((c) => c.find({}).sort({ _id: 1 }).toArray()));
}

/** The largest gap between consecutive snapshots of a route from `from` to `to` (ms), and how many there were. */
async function snapshotFlow(routeId: string, from: Date, to: Date): Promise<{ count: number; maxGapMs: number }> {
  const at = (await models.RouteHealthSnapshot.find({ routeId, at: { $gte: from, $lte: to } }, { at: 1 }).lean()).map((s) => s.at.getTime()).sort((a, b) => a - b);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  return { count: at.length, maxGapMs: Math.max(at[0]! - from.getTime(), to.getTime() - at.at(-1)!, ...gaps) };
}

it('re-imported mid-incident (unchanged, changed, broken): the incident goes on untouched, the sweeper picks the change up, the outage ends normally', async () => {
  const { tb, sweeper } = rig;
  const [shard] = sweeper.shards;
  // tb-route and tb-uplink share the primary circuit: one outage, named after it.
  const handle = rig.client.workflow.getHandle(rig.outageWorkflowId('tb-route', ['tb-primary-circuit']));
  await tb.fail('primary');
  await until('failed over', async () => (await handle.query(outageState).catch(() => undefined))?.routes.find((r) => r.routeId === 'tb-route')?.failover === 'done', 60_000);
  await until('tb-route healthy again over the backup, tb-uplink down', () => shard!.debounceState('tb-route')?.state === 'healthy' && shard!.debounceState('tb-uplink')?.state === 'down', 30_000);
  const { incidentId } = await handle.query(outageState);
  // Settled: what the sweeper and the workflow have said so far.
  await new Promise((r) => setTimeout(r, 2_000));
  const transitionsBefore = await models.RouteTransition.countDocuments();
  // Listed rather than counted, so that a failure says which route moved and why.
  const recordedTransitions = async () => (await models.RouteTransition.find({}, { _id: 0, routeId: 1, kind: 1, cause: 1, at: 1 }).sort({ at: 1 }).lean()).map((t) => `${t.at.toISOString()} ${t.routeId} ${t.kind} (${t.cause})`);
  const listedBefore = await recordedTransitions();
  const notificationsBefore = await models.Notification.countDocuments();
  const uplinkDebounce: DebounceState = structuredClone(shard!.debounceState('tb-uplink')!);
  const importStarted = new Date();

  // (1) Unchanged.
  const unchanged = await cliImport(original);
  expect(unchanged.code).toBe(0);
  expect(unchanged.output).toMatch(/routes\s+0 created, 0 updated, 2 unchanged/);

  // (2) Changed as an engineer would mid-incident.
  const changed = await cliImport(changedMidIncident(tb));
  expect(changed.code).toBe(0);
  expect(changed.output).toMatch(/classes\s+0 created, 1 updated, 0 unchanged/);
  expect(changed.output).toMatch(/escalationPolicies\s+0 created, 1 updated, 0 unchanged/);
  expect(changed.output).toMatch(/routes\s+1 created, 1 updated, 1 unchanged/);
  const importedAt = Date.now();
  await until('the sweeper picking up tb-target-watch', () => sweeper.stats().routes === 3, RELOAD_MS + 10_000);
  const pickedUpAfterMs = Date.now() - importedAt;
  await until('tb-target-watch measured', () => models.RouteHealthSnapshot.exists({ routeId: 'tb-target-watch' }), 10_000);

  // (3) Broken: refused, nothing written, nothing reloaded.
  const directoryBefore = await directory();
  const invalidYaml = await cliImport(`${changedMidIncident(tb)}  - id: [unclosed\n`);
  const dangling = await cliImport(changedMidIncident(tb).replace('    owner: { team: ops }\n', '    owner: { team: ops }\n    escalationPolicy: no-such-policy\n'));
  expect(invalidYaml.code).not.toBe(0);
  expect(dangling.code).not.toBe(0);
  expect(invalidYaml.output).toContain('nothing was imported');
  expect(dangling.output).toContain('nothing was imported');
  expect(dangling.output).toContain('no-such-policy');
  expect(await directory()).toEqual(directoryBefore);

  // One more reload after everything, then the incident as it was: no transition, no notification, same debounce memory.
  await new Promise((r) => setTimeout(r, RELOAD_MS + 2_000));
  const importEnded = new Date();
  await sweeper.shards[0]!.drain();
  const state = await handle.query(outageState);
  const transitionsAfter = await models.RouteTransition.countDocuments();
  const notificationsAfter = await models.Notification.countDocuments();
  const uplinkAfter = shard!.debounceState('tb-uplink')!;
  const flow = await until('snapshots flushed', async () => {
    const f = await snapshotFlow('tb-route', importStarted, new Date(importEnded.getTime() - 2_000));
    return f.count > 0 ? f : undefined;
  }, 10_000);
  expect(state).toMatchObject({ incidentId, phase: 'failed_over' });
  expect(state.routes.map((r) => [r.routeId, r.health, r.activePath, r.failover]).sort()).toEqual([
    ['tb-route', 'up', 'backup', 'done'],
    ['tb-uplink', 'down', 'primary', 'none'],
  ]);
  expect(await recordedTransitions()).toEqual(listedBefore);
  expect(transitionsAfter).toBe(transitionsBefore);
  expect(notificationsAfter).toBe(notificationsBefore);
  expect(uplinkAfter.state).toBe('down');
  expect(uplinkAfter.downEntries).toEqual(uplinkDebounce.downEntries);
  expect(uplinkAfter.failures).toBeGreaterThanOrEqual(uplinkDebounce.failures);
  expect(flow.maxGapMs).toBeLessThan(3_000);

  // The heal: tb-uplink recovers, tb-route fails back after its delay, the outage resolves itself.
  await tb.heal('primary');
  const final = await handle.result();
  expect(final).toMatchObject({ incidentId, phase: 'resolved' });
  const incidents = await models.Incident.countDocuments();
  const executorRuns = await models.ExecutorRun.find().lean();
  const notifications = await models.Notification.find().lean();
  const snapshots = await models.RouteHealthSnapshot.countDocuments({ routeId: 'tb-route', at: { $gte: importStarted, $lte: importEnded } });
  console.log(
    `CHAOS route-reimport incidents=${incidents} transitions_during_import=${transitionsAfter - transitionsBefore} notifications_during_import=${notificationsAfter - notificationsBefore} ` +
      `notifications=${notifications.length} executor_runs=${executorRuns.length} picked_up_after_s=${(pickedUpAfterMs / 1000).toFixed(1)} ` +
      `snapshots_during_import=${snapshots} max_snapshot_gap_ms=${flow.maxGapMs} import_window_s=${((importEnded.getTime() - importStarted.getTime()) / 1000).toFixed(1)} swept_routes=${sweeper.stats().routes}`,
  );
  expect(incidents).toBe(1);
  expect(executorRuns.map((r) => r.direction).sort()).toEqual(['failback', 'failover']);
  // opened, routes_attached (tb-uplink joined), failed_over, failed_back, resolved.
  expect(notifications.map((n) => n.kind).sort()).toEqual(['failed_back', 'failed_over', 'opened', 'resolved', 'routes_attached']);
  expect(snapshots).toBeGreaterThanOrEqual(Math.floor((importEnded.getTime() - importStarted.getTime()) / 1000) - 3);
}, 240_000);
