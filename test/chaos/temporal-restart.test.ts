import { loadConfig } from '../../src/config';
import { freePort } from '../../src/embedded/ports';
import { startTemporalDevServer, type EmbeddedTemporal } from '../../src/embedded/temporal-dev-server';
import { createLogger } from '../../src/logger';
import type { Evaluation } from '../../src/health/evaluate';
import { models } from '../../src/models';
import { outageStarter } from '../../src/outage/start-outages';
import type { SweepRoute } from '../../src/sweeper/sweep-routes';
import { toolPaths } from '../../src/tools';
import { outageState, type RouteTransitionSignal } from '../../workflows/messages';
import { crashableServer, type CrashableServer } from '../support/crashable-server';
import { useTestDatabase } from '../support/database';
import { startOutageRig, type OutageRig } from '../support/outage-rig';
import { isolateSuite } from '../support/suite-isolation';
import { until } from '../support/until';
import { signalledTransitions } from '../support/workflow-signals';

/**
 * The Temporal dev server SIGKILLed in the middle of an outage (testbed 1): the primary link
 * is cut, the incident opens and fails over; then Temporal crashes, the link heals while it
 * is away (the sweeper's `recovered` transition has nowhere to go), and it comes back on the
 * same port and SQLite file after DOWN_MS. The same workflow goes on: the transition sent
 * while the server was away reaches it, it fails back and resolves — once each.
 */
// Longer than the Temporal client's own gRPC retries of one call (~20 s), so a transition
// can only survive the outage if the sweeper keeps it itself.
const DOWN_MS = 25_000;
/** What the outage workflow hears of (start-outages.ts sends nothing else). */
const SIGNALLED_KINDS: RouteTransitionSignal['kind'][] = ['down', 'degraded', 'flapping', 'telemetry_gap', 'recovered', 'cleared', 'recovering', 'telemetry_restored'];

let temporal: CrashableServer<EmbeddedTemporal>;
let rig: OutageRig;
// Registered before the database hooks so the rig stops while the database is still there.
afterAll(async () => {
  await rig?.stop();
  await temporal?.stop();
}, 60_000);
useTestDatabase('chaos_temporal_restart');
beforeAll(async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const binary = toolPaths(loadConfig({}).toolsDir).temporal;
  temporal = await crashableServer('temporal-restart', (dataDir) =>
    startTemporalDevServer({ binary, dataDir, namespace: 'default', port, uiPort, logger: createLogger('warn') }),
  );
  rig = await startOutageRig({ testbedId: 1, temporalAddress: temporal.server.address, ...isolateSuite(), failbackDelaySec: 5 });
}, 120_000);

it('Temporal crashes mid-incident and comes back: the same outage fails back and resolves, nothing lost or doubled', async () => {
  const { tb } = rig;
  const handle = rig.client.workflow.getHandle(rig.outageWorkflowId());
  await tb.fail('primary');
  await until('an incident', () => models.Incident.findOne({ routes: 'tb-route' }).lean(), 20_000);
  await until('failover', () => rig.edgeNextHop() === tb.links.backup.coreAddress, 20_000);
  await until('failed_over state', async () => (await handle.query(outageState)).routes[0]?.failover === 'done', 10_000);
  const { runId } = await handle.describe();

  await temporal.crash();
  const crashedAt = new Date();
  await tb.heal('primary');
  const recovered = await until('the recovered transition (recorded while Temporal is down)', () => models.RouteTransition.findOne({ routeId: 'tb-route', kind: 'recovered', at: { $gt: crashedAt } }).lean(), 20_000);
  await new Promise((r) => setTimeout(r, crashedAt.getTime() + DOWN_MS - Date.now()));
  const restartedAt = new Date();
  await temporal.restart();

  await until('failback', () => rig.edgeNextHop() === tb.links.primary.coreAddress, 60_000);
  expect((await handle.result()).phase).toBe('resolved');
  expect((await handle.describe()).runId).toBe(runId);
  await rig.stopSweeper();

  // The sweeper kept probing and writing while Temporal was away (a 1 s route: one snapshot a second).
  const duringOutage = await models.RouteHealthSnapshot.countDocuments({ routeId: 'tb-route', at: { $gte: crashedAt, $lt: restartedAt } });
  expect(duringOutage).toBeGreaterThanOrEqual(Math.floor(DOWN_MS / 1000) - 2);
  const snapshots = await models.RouteHealthSnapshot.countDocuments();
  const written = rig.sweeper.stats().snapshots;
  expect(written).toMatchObject({ buffered: 0, dropped: 0 });
  expect(snapshots).toBe(written.written);

  // Every transition the sweeper recorded reached the workflow, in order, once.
  const recorded = await models.RouteTransition.find({ routeId: 'tb-route', kind: { $in: SIGNALLED_KINDS } }).sort({ at: 1 }).lean();
  const keyOf = (t: { kind: string; at: Date | string }) => `${t.kind}@${new Date(t.at).toISOString()}`;
  const signalled = (await signalledTransitions(rig.client, rig.outageWorkflowId())).map(keyOf);
  const lost = recorded.map(keyOf).filter((k) => !signalled.includes(k));
  const duplicates = signalled.length - new Set(signalled).size;
  expect(recorded.map((t) => t.kind)).toEqual(['down', 'recovering', 'recovered']);
  expect(signalled).toEqual(recorded.map(keyOf));
  expect(recovered.at.getTime()).toBeLessThan(restartedAt.getTime());

  const incidents = await models.Incident.find().lean();
  expect(incidents).toHaveLength(1);
  expect(incidents[0]).toMatchObject({ workflowId: rig.outageWorkflowId(), state: 'resolved' });
  const notifications = await models.Notification.find().lean();
  const byKind = Object.fromEntries(['opened', 'failed_over', 'failed_back', 'resolved'].map((k) => [k, notifications.filter((n) => n.kind === k).length]));
  expect(byKind).toEqual({ opened: 1, failed_over: 1, failed_back: 1, resolved: 1 });
  expect(notifications).toHaveLength(4);
  // Delivered once each: one console delivery per notification.
  expect(notifications.map((n) => n.deliveries.length)).toEqual([1, 1, 1, 1]);
  const runs = await models.ExecutorRun.find().sort({ startedAt: 1 }).lean();
  expect(runs.map((r) => [r.direction, r.toPathId, r.ok])).toEqual([
    ['failover', 'backup', true],
    ['failback', 'primary', true],
  ]);
  expect(rig.edgeNextHop()).toBe(tb.links.primary.coreAddress);

  console.log(
    `CHAOS temporal-restart incidents=${incidents.length} notifications=${notifications.length} executor_runs=${runs.length} snapshots=${snapshots} snapshots_while_down=${duringOutage} down_ms=${restartedAt.getTime() - crashedAt.getTime()} lost=${lost.length} duplicates=${duplicates}`,
  );
}, 180_000);

it('outageStarter holds what it cannot signal while Temporal is down and delivers it in order once it is back', async () => {
  // A task queue without a worker: the workflow only records the signals it gets.
  const starter = outageStarter({ client: rig.client, taskQueue: `held-${Date.now()}`, workflowIdPrefix: rig.config.temporal.workflowIdPrefix, logger: createLogger('silent'), timing: rig.config.outage });
  const route = (id: string) => ({ id, dependencies: [] }) as unknown as SweepRoute;
  const evaluation = (status: Evaluation['status']) => ({ status, score: status === 'up' ? 100 : 0, confidence: 1, taxonomy: [], sources: [] }) as Evaluation;
  const kinds = ['down', 'recovering', 'recovered', 'down'] as const;
  try {
    await temporal.crash();
    const base = Date.now();
    for (const [i, kind] of kinds.entries()) {
      starter.onTransition(route('held-r1'), { kind, from: 'healthy', to: 'down', at: new Date(base + i), cause: 'probe', consecutiveFailures: 0 }, evaluation(kind === 'down' ? 'down' : 'up'));
      await new Promise((r) => setTimeout(r, 300)); // each in its own gathering window
    }
    // A recovery of a route without an outage is not for anyone: not held.
    starter.onTransition(route('held-r2'), { kind: 'recovered', from: 'recovering', to: 'healthy', at: new Date(base), cause: 'probe', consecutiveFailures: 0 }, evaluation('up'));
    await new Promise((r) => setTimeout(r, 3_000));
    expect(starter.held()).toBe(5);
    await temporal.restart();
    await until('held transitions delivered', () => starter.held() === 0, 30_000, { context: () => `${starter.held()} held` });
    const received = await signalledTransitions(rig.client, rig.outageWorkflowId('held-r1'));
    expect(received.map((t) => [t.kind, t.at])).toEqual(kinds.map((kind, i) => [kind, new Date(base + i).toISOString()]));
    await rig.client.workflow.getHandle(rig.outageWorkflowId('held-r1')).terminate('test done');
  } finally {
    await starter.stop();
  }
}, 90_000);
