import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { loadConfig } from '../../src/config';
import { importRouteFile } from '../../src/directory/import-routes';
import { freePort } from '../../src/embedded/ports';
import type { Transition } from '../../src/health/debounce';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import type { MinuteStats } from '../../src/models/route-health-series';
import { loadStatusBoard } from '../../src/status/status-board';
import { probeIcmpBatch, runProbe } from '../../src/probes';
import { startSweeper, type SweeperService } from '../../src/sweeper/run-sweeper';
import { testbedUp, type Testbed } from '../testbed/testbed';
import { useTestDatabase } from '../support/database';
import { until } from '../support/until';
import { writeTempFile } from '../fixtures/route-files';

/**
 * The sweeper on the real testbed: agenda ticks, fping and SNMP probes, the trap receiver,
 * snapshots and transitions in FerretDB. Testbed id 14 (other suites use other ids).
 */
useTestDatabase('detection');
const logger = createLogger('silent');
let tb: Testbed;
let trapPort: number;
let sweeper: SweeperService;
const seen: { routeId: string; t: Transition; at: number }[] = [];

function routeFile(tb: Testbed): string {
  const snmp = (timeoutMs: number) =>
    `{ kind: snmp, agent: ${tb.agent.address}, community: public, timeoutMs: ${timeoutMs}, check: { type: ifOperStatus, ifIndex: ${tb.links.primary.ifIndex} } }`;
  return `version: 1
classes:
  - id: fast
    thresholds: { latencyMs: 100, lossPct: 20, jitterMs: 30 }
    telemetrySlaSec: 10
    debounce: { failuresToSuspect: 1, failuresToDown: 2, recoveriesToUp: 2, graceSec: 0 }
    flapping: { transitions: 4, windowSec: 300 }
teams:
  - { id: net, name: Net, contact: net@example.com }
routes:
  - id: tb-polled
    name: Polled through the primary
    environment: testbed
    primary: true
    class: fast
    intervalSec: 1
    probes:
      - { kind: icmp-batch, target: ${tb.targets[0]}, count: 10, intervalMs: 20, timeoutMs: 400 }
    paths:
      - { id: primary, role: primary, nextHop: ${tb.links.primary.coreAddress} }
      - { id: backup, role: backup, nextHop: ${tb.links.backup.coreAddress} }
    owner: { team: net }
  - id: tb-trapped
    name: Watched by SNMP only, rarely polled
    environment: testbed
    primary: true
    class: fast
    intervalSec: 120
    probes:
      - ${snmp(500)}
    paths:
      - { id: primary, role: primary, nextHop: ${tb.links.primary.coreAddress} }
    owner: { team: net }
`;
}

const seenSoFar = () => `transitions so far: ${JSON.stringify(seen.map((s) => [s.routeId, s.t.kind, s.t.cause]))}`;
const waitFor = <T>(what: string, get: () => T | undefined, timeoutMs: number) => until(what, get, timeoutMs, { everyMs: 50, context: seenSoFar });
const transitionsOf = (routeId: string, kind: string, since: number) => seen.filter((s) => s.routeId === routeId && s.t.kind === kind && s.at >= since);

beforeAll(async () => {
  trapPort = await freePort();
  tb = await testbedUp({ id: 14, targets: 2, trapSink: { port: trapPort } });
  await importRouteFile(writeTempFile(routeFile(tb)), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
  const config = loadConfig({ STATETRACE_SWEEP_TICK_MS: '250', STATETRACE_SERIES_FLUSH_SEC: '1', STATETRACE_TRAP_PORT: String(trapPort), STATETRACE_TRAP_ADDRESS: tb.hostAddress, STATETRACE_TRAP_COMMUNITIES: 'public' });
  sweeper = await startSweeper({
    config,
    models,
    db: mongoose.connection.db!,
    probes: { runProbe, probeIcmpBatch },
    logger,
    onTransition: (route, t) => void seen.push({ routeId: route.id, t, at: Date.now() }),
  });
}, 60_000);

afterAll(async () => {
  await sweeper?.stop();
  await tb?.down();
}, 60_000);

describe('sweeper on the testbed', () => {
  it('probes on the route interval and writes scored snapshots', async () => {
    await new Promise((r) => setTimeout(r, 4500)); // a few intervals and a writer flush
    const snaps = await models.RouteHealthSnapshot.find({ routeId: 'tb-polled' }).sort({ at: 1 }).lean();
    expect(snaps.length).toBeGreaterThanOrEqual(2);
    expect(snaps.length).toBeLessThanOrEqual(6);
    expect(snaps.at(-1)).toMatchObject({ status: 'up', score: 100, lossPct: 0, confidence: 1 });
    expect(seen.filter((s) => s.t.kind === 'down')).toEqual([]);
    // The same measurements summed per minute (written every second here).
    const minutes = (await models.RouteHealthSeries.find({ routeId: 'tb-polled' }).lean()).flatMap((d) => Object.values(d.m as Record<string, MinuteStats>));
    const n = minutes.reduce((sum, m) => sum + m.n, 0);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(snaps.length + 2);
    for (const m of minutes) expect(m).toMatchObject({ up: m.n, down: 0, latN: m.n, lossMax: 0, scoreMin: 100, scoreMax: 100 });
    expect(Math.max(...minutes.map((m) => m.latMax!))).toBeLessThan(100);
    // And the latest measurement of each route on the shard's status board (written every 2 s).
    const board = await until('the status board', async () => (await loadStatusBoard(models)).get('tb-polled'), 5000);
    expect(board).toMatchObject({ status: 'up', score: 100, lossPct: 0, taxonomy: [] });
  }, 20_000);

  it('a cut link: the trap takes the SNMP-watched route down at once, polling takes the other down within a few probes', async () => {
    const cutAt = Date.now();
    await tb.fail('primary');
    const trapped = await waitFor('tb-trapped down', () => transitionsOf('tb-trapped', 'down', cutAt)[0], 15_000);
    const polled = await waitFor('tb-polled down', () => transitionsOf('tb-polled', 'down', cutAt)[0], 15_000);
    expect(trapped.t.cause).toBe('snmp-trap');
    expect(trapped.at - cutAt).toBeLessThan(6_000);
    expect(polled.t.cause).toBe('probe');
    expect(polled.t.consecutiveFailures).toBe(2); // the class's failuresToDown: down on the 2nd failed probe
    expect(polled.at - cutAt).toBeLessThan(6_000);

    const healAt = Date.now();
    await tb.heal('primary');
    await waitFor('tb-polled recovered', () => transitionsOf('tb-polled', 'recovered', healAt)[0], 15_000);
    // The SNMP-watched route comes back once snmpd's linkUp makes its probes confirm; waited
    // for here so that its recovery cannot land in the next test's window on a busy machine.
    const trappedBack = await waitFor('tb-trapped recovered', () => transitionsOf('tb-trapped', 'recovered', healAt)[0], 15_000);
    expect(trappedBack.t.cause).toBe('probe');
    await new Promise((r) => setTimeout(r, 1500));
    const recorded = await models.RouteTransition.find({ routeId: 'tb-polled' }).sort({ at: 1 }).lean();
    expect(recorded.map((t) => t.kind)).toEqual(expect.arrayContaining(['suspect', 'down', 'recovering', 'recovered']));
    expect(recorded.find((t) => t.kind === 'down')).toMatchObject({ status: 'down', taxonomy: ['unreachable'] });
  }, 45_000);

  it('linkUp traps from the device itself while its link is cut do not bring the route back: recovery needs the probes', async () => {
    const ifIndex = tb.links.primary.ifIndex;
    // What an attacker who can send from the agent's address (or a confused device) sends.
    const linkUp = () =>
      promisify(execFile)('ip', ['netns', 'exec', `${tb.prefix}edge`, 'snmptrap', `--clientaddr=${tb.agent.address}`, '-v', '2c', '-c', 'public', `${tb.hostAddress}:${trapPort}`, '', '1.3.6.1.6.3.1.1.5.4', `1.3.6.1.2.1.2.2.1.1.${ifIndex}`, 'i', String(ifIndex)], { env: { ...process.env, MIBS: '' } });
    expect(sweeper.shards[0]!.debounceState('tb-trapped')).toMatchObject({ state: 'healthy' });
    const cutAt = Date.now();
    let healAt = cutAt;
    await tb.fail('primary');
    try {
      await waitFor('tb-trapped down', () => transitionsOf('tb-trapped', 'down', cutAt)[0], 15_000);
      for (let i = 0; i < 16; i++) {
        await linkUp();
        await new Promise((r) => setTimeout(r, 250));
      }
      // Each made the route due: its SNMP probe ran and saw the interface down.
      expect(seen.filter((s) => s.routeId === 'tb-trapped' && s.at >= cutAt && ['recovering', 'recovered', 'cleared'].includes(s.t.kind))).toEqual([]);
      expect(sweeper.shards[0]!.debounceState('tb-trapped')).toMatchObject({ state: 'down' });
    } finally {
      // Healed even when the checks above fail, so that the next tests start on a whole link.
      healAt = Date.now();
      await tb.heal('primary');
    }
    // snmpd's own linkUp makes the probes confirm at once (not at the route's 120 s interval).
    await waitFor('tb-trapped recovered', () => transitionsOf('tb-trapped', 'recovered', healAt)[0], 15_000);
    expect(transitionsOf('tb-trapped', 'recovered', healAt)[0]!.t.cause).toBe('probe');
  }, 60_000);

  it('steady noise (10 % loss, 20 ms jitter) never takes the route down', async () => {
    const from = Date.now();
    await tb.degrade('primary', { lossPct: 10, delayMs: 25, jitterMs: 20 });
    try {
      await new Promise((r) => setTimeout(r, 40_000));
    } finally {
      await tb.heal('primary');
    }
    expect(transitionsOf('tb-polled', 'down', from)).toEqual([]);
    const snaps = await models.RouteHealthSnapshot.find({ routeId: 'tb-polled', at: { $gte: new Date(from + 5000) } }).lean();
    expect(snaps.length).toBeGreaterThan(25);
    const meanLoss = snaps.reduce((n, s) => n + (s.lossPct ?? 0), 0) / snaps.length;
    expect(meanLoss).toBeGreaterThan(4);
    expect(meanLoss).toBeLessThan(18);
  }, 60_000);

  it('a signal pushed through the API takes the same path (scored, debounced, recorded)', async () => {
    const from = Date.now();
    await models.PendingSignal.create({ routeId: 'tb-trapped', shard: 0, at: new Date(), receivedAt: new Date(), source: 'api', status: 'down', detail: 'external monitor', taxonomy: ['bgp_down'] });
    const pushed = await waitFor('api-caused transition', () => seen.find((s) => s.routeId === 'tb-trapped' && s.at >= from && s.t.cause === 'api'), 10_000);
    expect(['suspect', 'down']).toContain(pushed.t.kind);
    expect(await models.PendingSignal.countDocuments()).toBe(0);
  }, 20_000);
});
