import { Client, Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { loadConfig } from '../../src/config';
import { connectDatabase, disconnectDatabase } from '../../src/db/connect';
import { importRouteFile } from '../../src/directory/import-routes';
import { startFerretDB, type EmbeddedFerretDB } from '../../src/embedded/ferretdb';
import { freePort } from '../../src/embedded/ports';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import type { MinuteStats } from '../../src/models/route-health-series';
import { outageKeyOf, outageStarter, type OutageStarter } from '../../src/outage/start-outages';
import { probeIcmpBatch, runProbe } from '../../src/probes';
import { startSweeper, type SweeperService } from '../../src/sweeper/run-sweeper';
import { toolPaths } from '../../src/tools';
import { writeTempFile } from '../fixtures/route-files';
import { testbedUp, type Testbed } from '../testbed/testbed';
import { crashableServer, type CrashableServer } from '../support/crashable-server';
import { isolateSuite, isolationEnv } from '../support/suite-isolation';
import { until } from '../support/until';
import { signalledTransitions } from '../support/workflow-signals';

/**
 * FerretDB SIGKILLed for 60 s while the sweeper probes three loopback routes and one route
 * through testbed 2's primary link, which is cut and healed during the database outage.
 * Sweeping goes on (agenda, whose jobs live in the database, cannot run them: the local
 * fallback sweeps instead and hands back to agenda afterwards), the link failure still
 * reaches Temporal, and once the database is back every snapshot, transition and minute
 * of the series is written — once.
 */
const OUTAGE_MS = 60_000;
const tag = Date.now().toString(36);
const TB_ROUTE = `fdb-tb-${tag}`;
const LOOPBACK_ROUTES = [1, 2, 3].map((n) => ({ id: `fdb-lo${n}-${tag}`, target: `127.0.0.${n}` }));
const suite = isolateSuite();
const TB_WORKFLOW_ID = outageKeyOf({ id: TB_ROUTE, dependencies: [] }, suite.workflowIdPrefix).workflowId;

let ferret: CrashableServer<EmbeddedFerretDB>;
let tb: Testbed;
let connection: Connection;
let starter: OutageStarter;
let sweeper: SweeperService | undefined;
const logLines: { level: number; time: string; msg: string }[] = [];
const logger = createLogger('info', { write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[number]) });
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

function routeFile(): string {
  const route = (id: string, target: string) => `  - id: ${id}
    name: ${id}
    environment: chaos
    primary: false
    class: fast
    intervalSec: 1
    probes: [{ kind: icmp-batch, target: ${target}, count: 2, intervalMs: 20, timeoutMs: 300 }]
    paths: [{ id: primary, role: primary, nextHop: ${target} }]
    owner: { team: net }
`;
  return `version: 1
classes:
  - id: fast
    thresholds: { latencyMs: 100, lossPct: 20, jitterMs: 30 }
    debounce: { failuresToSuspect: 1, failuresToDown: 2, recoveriesToUp: 2, graceSec: 0 }
teams:
  - { id: net, name: Net, contact: net@example.com }
routes:
${route(TB_ROUTE, tb.targets[0]!)}${LOOPBACK_ROUTES.map((r) => route(r.id, r.target)).join('')}`;
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  const port = await freePort();
  const binary = toolPaths(loadConfig({}).toolsDir).ferretdb;
  ferret = await crashableServer('ferretdb-outage', (dataDir) => startFerretDB({ binary, dataDir, port, logger: createLogger('warn') }));
  await connectDatabase(ferret.server.uri, logger, { dbName: 'chaos' });
  tb = await testbedUp({ id: 2, targets: 1 });
  const file = routeFile();
  await importRouteFile(writeTempFile(file), { models, maxBytes: file.length + 1, actor: { platform: 'cli', id: 'chaos' }, logger });
  connection = await Connection.connect({ address: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS! });
}, 90_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await sweeper?.stop();
  await starter?.stop();
  await new Client({ connection }).workflow.getHandle(TB_WORKFLOW_ID).terminate('chaos test done').catch(() => undefined);
  await connection?.close();
  await tb?.down();
  await disconnectDatabase();
  await ferret?.stop();
}, 60_000);

it('FerretDB down for 60 s: sweeping goes on, the cut reaches Temporal, and every snapshot, transition and series minute is written once', async () => {
  const config = loadConfig({ STATETRACE_SWEEP_TICK_MS: '200', STATETRACE_TRAP_PORT: '0', STATETRACE_SERIES_FLUSH_SEC: '2', ...isolationEnv(suite) });
  const client = new Client({ connection });
  // No worker on this task queue: the workflow only records what the sweeper signals.
  starter = outageStarter({ client, taskQueue: config.temporal.taskQueue, workflowIdPrefix: config.temporal.workflowIdPrefix, logger, timing: config.outage });
  const routeOf = new Map([[tb.targets[0]!, TB_ROUTE], ...LOOPBACK_ROUTES.map((r) => [r.target, r.id] as const)]);
  // The sweeps, counted where the probes start (each icmp-batch spec is one route's sweep).
  const sweeps = new Map<string, number[]>();
  const probes = {
    runProbe,
    probeIcmpBatch: (specs: Parameters<typeof probeIcmpBatch>[0]) => {
      for (const spec of specs) sweeps.set(routeOf.get(spec.target)!, [...(sweeps.get(routeOf.get(spec.target)!) ?? []), Date.now()]);
      return probeIcmpBatch(specs);
    },
  };
  let transitionsSeen = 0;
  sweeper = await startSweeper({
    config,
    models,
    db: mongoose.connection.db!,
    probes,
    logger,
    onTransition: (route, t, evaluation) => {
      transitionsSeen += 1;
      return starter.onTransition(route, t, evaluation);
    },
  });
  const service = sweeper;
  await until('every route swept and written', async () => (await models.RouteHealthSnapshot.distinct('routeId')).length === 4, 20_000);

  await ferret.crash();
  const downAt = Date.now();
  await new Promise((r) => setTimeout(r, 10_000));
  await tb.fail('primary');
  const handle = client.workflow.getHandle(TB_WORKFLOW_ID);
  // The cut reaches Temporal while the database is still away.
  await until('the outage workflow started', () => handle.describe().then(() => true, () => false), 15_000);
  await new Promise((r) => setTimeout(r, 15_000));
  await tb.heal('primary');
  await new Promise((r) => setTimeout(r, downAt + OUTAGE_MS - Date.now()));
  const sweptWhileDown = [...sweeps.values()].flat().filter((at) => at >= downAt).length;
  const upAt = Date.now();
  await ferret.restart();
  const outageLog = logLines.filter((l) => l.level >= 40 && Date.parse(l.time) >= downAt && Date.parse(l.time) <= upAt);

  await until('agenda sweeping again', () => service.stats().localSweep.every((s) => s.mode === 'agenda'), 90_000, { context: () => JSON.stringify(service.stats().localSweep) });
  const handback = logLines.find((l) => l.msg.startsWith('agenda runs the sweep again'));
  expect(handback).toBeDefined();
  await service.stop();
  sweeper = undefined;
  const stats = service.stats();
  expect(stats.snapshots).toMatchObject({ buffered: 0, dropped: 0 });
  expect(stats.transitions).toMatchObject({ buffered: 0, dropped: 0 });
  expect(stats.series.pending).toBe(0);

  // Probing did not stop: ~one sweep per route per second while the database was away.
  expect(sweptWhileDown).toBeGreaterThanOrEqual(4 * (OUTAGE_MS / 1000 - 5));
  // Snapshots: exactly one per sweep. A route's sweeps never overlap (ShardSweeper waits for
  // the one in flight), so each snapshot belongs in the window from its sweep's start to the next.
  const snapshots = await models.RouteHealthSnapshot.find({}, { routeId: 1, at: 1 }).sort({ at: 1 }).lean();
  expect(new Set(snapshots.map((s) => String(s._id))).size).toBe(snapshots.length);
  const perRoute = (id: string) => snapshots.filter((s) => s.routeId === id).map((s) => s.at.getTime());
  let lost = 0;
  let duplicates = 0;
  for (const id of routeOf.values()) {
    const ats = perRoute(id);
    const starts = sweeps.get(id)!;
    expect(ats[0]).toBeGreaterThanOrEqual(starts[0]!);
    starts.forEach((start, i) => {
      const inWindow = ats.filter((at) => at >= start && at < (starts[i + 1] ?? Infinity)).length;
      lost += inWindow === 0 ? 1 : 0;
      duplicates += Math.max(0, inWindow - 1);
    });
  }
  const swept = [...sweeps.values()].flat().length;
  expect(snapshots).toHaveLength(swept);
  expect(lost).toBe(0);
  expect(duplicates).toBe(0);

  // The per-minute series adds up to the same snapshots, minute by minute.
  const series = await models.RouteHealthSeries.find().lean();
  for (const id of routeOf.values()) {
    const stored = new Map<number, number>();
    for (const doc of series.filter((d) => d.routeId === id)) {
      for (const [minute, m] of Object.entries(doc.m as Record<string, MinuteStats>)) stored.set(doc.hour.getTime() + Number(minute) * 60_000, m.n);
    }
    const counted = new Map<number, number>();
    for (const at of perRoute(id)) counted.set(Math.floor(at / 60_000) * 60_000, (counted.get(Math.floor(at / 60_000) * 60_000) ?? 0) + 1);
    expect(stored).toEqual(counted);
  }

  // Transitions: every one the sweeper made is stored, and the cut and heal reached the workflow in order.
  const transitions = await models.RouteTransition.find().sort({ at: 1 }).lean();
  expect(transitions).toHaveLength(transitionsSeen);
  const tbTransitions = transitions.filter((t) => t.routeId === TB_ROUTE);
  expect(tbTransitions.map((t) => t.kind)).toEqual(['suspect', 'down', 'recovering', 'recovered']);
  expect(tbTransitions.every((t) => t.at.getTime() > downAt && t.at.getTime() < upAt)).toBe(true);
  const signalled = await signalledTransitions(client, TB_WORKFLOW_ID);
  expect(signalled.map((s) => [s.kind, s.at])).toEqual(tbTransitions.filter((t) => t.kind !== 'suspect').map((t) => [t.kind, t.at.toISOString()]));

  // No crash, no unhandled rejection, and the outage logged once-ish rather than every tick.
  expect(unhandled).toEqual([]);
  const byMessage = [...new Set(outageLog.map((l) => l.msg))].map((msg) => `${outageLog.filter((l) => l.msg === msg).length}× ${msg}`);
  console.log(`ferretdb-outage: warnings and errors logged while the database was down: ${byMessage.join(' | ')}`);
  expect(outageLog.length).toBeLessThanOrEqual(10);
  console.log(
    `CHAOS ferretdb-outage routes=4 sweeps=${swept} sweeps_while_down=${sweptWhileDown} local_ticks=${stats.localSweep[0]!.localTicks} takeovers=${stats.localSweep[0]!.takeovers} snapshots=${snapshots.length} transitions=${transitions.length} series_minutes=${series.reduce((n, d) => n + Object.keys(d.m as object).length, 0)} handback_ms_after_restart_began=${Date.parse(handback!.time) - upAt} warn_logs_while_down=${outageLog.length} lost=${lost} duplicates=${duplicates}`,
  );
}, 240_000);
