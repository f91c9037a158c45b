import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Metric } from 'prom-client';
import { createFailoverActivities } from '../../activities/failover-executor';
import { createIncidentActivities } from '../../activities/incident-store';
import { createNotifyActivities, type NotificationChannel } from '../../activities/notify';
import type { ExecuteFailoverInput, NotifyInput } from '../../activities/outage-contract';
import { importRouteFile } from '../../src/directory/import-routes';
import { createLogger } from '../../src/logger';
import { detectionLatency, failovers, incidentsOpened, notifications, probeDuration, probes, timeToAcknowledge, timeToResolve } from '../../src/metrics/instruments';
import { models } from '../../src/models';
import type { Measurement, ProbeSpec } from '../../src/probes/types';
import { ShardSweeper, type ShardSweeperDeps } from '../../src/sweeper/shard-sweeper';
import { useTestDatabase } from '../support/database';
import { VALID_ROUTE_FILE, writeTempFile } from '../fixtures/route-files';

useTestDatabase('metrics_instruments');
const logger = createLogger('silent');
const inActivity = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) });

/** A sample's current value: `name` picks a histogram's _count or _sum. */
async function valueOf(metric: Metric, labels: Record<string, string> = {}, name?: string): Promise<number> {
  const { values } = await metric.get();
  const match = (values as { metricName?: string; labels: Record<string, unknown>; value: number }[]).find((v) => (!name || v.metricName === name) && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

/** How much `read` moved while `work` ran. */
async function change(read: () => Promise<number>, work: () => Promise<unknown>): Promise<number> {
  const before = await read();
  await work();
  return (await read()) - before;
}

beforeAll(async () => {
  await importRouteFile(writeTempFile(VALID_ROUTE_FILE), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
});

describe('counters and histograms move where the thing happens', () => {
  it('notify: one count per destination and attempt, by channel and result', async () => {
    const consoleChannel: NotificationChannel = { name: 'console', send: () => Promise.resolve({ ok: true, retryable: false }) };
    const { notify } = createNotifyActivities({ models, channels: [consoleChannel], logger });
    const input: NotifyInput = {
      idempotencyKey: 'notify:inc-m:opened',
      incidentId: 'inc-m',
      kind: 'opened',
      severity: 'major',
      routes: ['r1'],
      // discord is not configured in this worker.
      targets: ['console:noc', 'discord:123'],
      title: 'r1 down',
      text: 'primary path lost',
      page: true,
    };
    const sent = () => valueOf(notifications, { channel: 'console', result: 'sent' });
    const unconfigured = () => valueOf(notifications, { channel: 'unconfigured', result: 'failed' });
    const before = [await sent(), await unconfigured()];
    await inActivity().run(notify, input);
    // A duplicate call sends nothing.
    await inActivity().run(notify, input);
    expect([(await sent()) - before[0]!, (await unconfigured()) - before[1]!]).toEqual([1, 1]);
  });

  it('failover executor: one count per run by direction and outcome, none for a duplicate call', async () => {
    const { executeFailover } = createFailoverActivities({ models, logger });
    const input: ExecuteFailoverInput = { idempotencyKey: 'fo:inc-m:1', incidentId: 'inc-m', routeId: 'r1', policyId: 'manual', direction: 'failover', fromPathId: 'main', toPathId: 'standby' };
    const moved = await change(
      () => valueOf(failovers, { direction: 'failover', outcome: 'succeeded' }),
      async () => {
        expect(await inActivity().run(executeFailover, input)).toMatchObject({ ok: true, duplicate: false });
        expect(await inActivity().run(executeFailover, input)).toMatchObject({ ok: true, duplicate: true });
      },
    );
    expect(moved).toBe(1);
  });

  it('incident store: opened by severity; time to acknowledge and to resolve observed once each, retries included', async () => {
    const store = createIncidentActivities({ models });
    const detectedAt = '2026-11-25T10:00:00.000Z';
    const open = () => store.openIncident({ incidentId: 'inc-t', workflowId: 'wf-t', routes: ['r1'], severity: 'major', state: 'open', trigger: 'r1 down', detectedAt });
    expect(await change(() => valueOf(incidentsOpened, { severity: 'major' }), async () => [await open(), await open()])).toBe(1);

    const ack = () => store.updateIncident({ incidentId: 'inc-t', set: { acknowledgedAt: '2026-11-25T10:02:00.000Z', state: 'acknowledged' } });
    const ackSum = () => valueOf(timeToAcknowledge, {}, 'statetrace_time_to_acknowledge_seconds_sum');
    const ackCount = () => valueOf(timeToAcknowledge, {}, 'statetrace_time_to_acknowledge_seconds_count');
    const [sumBefore, countBefore] = [await ackSum(), await ackCount()];
    await ack();
    await ack();
    expect([(await ackSum()) - sumBefore, (await ackCount()) - countBefore]).toEqual([120, 1]);

    const resolve = () => store.recordResolution({ incidentId: 'inc-t', resolvedAt: '2026-11-25T11:00:00.000Z', summary: 'recovered' });
    const resolvedSum = () => valueOf(timeToResolve, { severity: 'major' }, 'statetrace_time_to_resolve_seconds_sum');
    expect(await change(resolvedSum, async () => [await resolve(), await resolve()])).toBe(3600);
    await expect(store.updateIncident({ incidentId: 'nope', set: { state: 'open' } })).rejects.toThrow('unknown incident "nope"');
  });

  it('sweeper: probe results and durations by kind, detection latency from the first failure to down', async () => {
    let now = Date.parse('2026-11-25T10:00:00.000Z');
    const failing = (spec: ProbeSpec): Measurement => ({ kind: spec.kind, target: spec.kind === 'snmp' ? spec.agent : spec.target, at: new Date(now), status: 'down', lossPct: 100, durationMs: 40 });
    const nothing = { add: () => undefined };
    const sweeper = new ShardSweeper({
      shard: 0,
      shardCount: 1,
      models,
      probes: { runProbe: (spec) => Promise.resolve(failing(spec)), probeIcmpBatch: (specs) => Promise.resolve(specs.map(failing)) },
      snapshots: nothing as unknown as ShardSweeperDeps['snapshots'],
      transitions: nothing as unknown as ShardSweeperDeps['transitions'],
      series: nothing,
      board: { set: () => undefined, forget: () => undefined },
      logger,
      now: () => now,
    });
    await sweeper.reloadRoutes();
    const icmpDown = () => valueOf(probes, { kind: 'icmp', result: 'down' });
    const snmpSeconds = () => valueOf(probeDuration, { kind: 'snmp' }, 'statetrace_probe_duration_seconds_sum');
    const detected = () => valueOf(detectionLatency, {}, 'statetrace_detection_latency_seconds_sum');
    const before = [await icmpDown(), await snmpSeconds(), await detected()];
    // Both routes (10 s interval; class default: down after 3 failures lasting ≥ 10 s) are probed once per 10 s step.
    for (let step = 1; step <= 4; step++) {
      now += 10_000;
      await sweeper.tick();
      await sweeper.drain();
    }
    expect(sweeper.debounceState('r1')?.state).toBe('down');
    expect(sweeper.debounceState('r2')?.state).toBe('down');
    expect((await icmpDown()) - before[0]!).toBe(4);
    expect((await snmpSeconds()) - before[1]!).toBeCloseTo(4 * 0.04);
    // Each route: first failure, then down 20 s later on the third.
    expect((await detected()) - before[2]!).toBe(40);
  });
});
