import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowUpdateStage } from '@temporalio/client';
import { importRouteFile } from '../../src/directory/import-routes';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { acknowledge, outageState, requestFailover, resolve, routeTransition, type RouteTransitionSignal } from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';
import { spawnCli } from '../support/cli';
import { testMongoUri, useTestDatabase } from '../support/database';
import { until } from '../support/until';
import { writeTempFile } from '../fixtures/route-files';
import { testbedUp, type Testbed } from '../testbed/testbed';

/**
 * A `statetrace worker` process SIGKILLed in the middle of an outage, then started again,
 * against the dev server and FerretDB: the outage completes, and no notification is sent
 * twice and no executor run happens twice (counted on the workers' console output and in a
 * file the executor command appends to). The last test kills it once in every phase of one
 * outage on a testbed (id 13), where the primary path really fails and comes back.
 */
const db = useTestDatabase('worker_kill');
const logger = createLogger('silent');
const runsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-kill-')), 'executor-runs.txt');
let connection: Connection;
let client: Client;

/** The executor's command for both route files: appends one line per run, then takes 3 s (long enough to kill the worker during it). */
const executorArgv = (runs: string) =>
  `["${process.execPath}", "-e", "require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n'); setTimeout(() => {}, 3000)", "${runs}", "{{to.id}}"]`;

/** The route's primary path: nothing answers there until a test puts the address on the loopback. */
const PRIMARY = '198.18.255.61';

function routeFile(failoverMode: 'automatic' | 'manual', failbackDelaySec = 3600): string {
  return `version: 1
classes:
  - { id: core, thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 } }
teams:
  - { id: net, name: Net, contact: net@example.com, notify: [{ platform: console, target: noc, minSeverity: info }] }
escalationPolicies:
  - { id: quick, levels: [{ afterSec: 0, notify: ["team:net"] }, { afterSec: 4, notify: ["team:net"] }, { afterSec: 9, notify: ["team:net"] }] }
failoverPolicies:
  - id: slow-command
    mode: ${failoverMode}
    failoverThreshold: 50
    failbackThreshold: 80
    failbackDelaySec: ${failbackDelaySec}
    executor: { kind: command, argv: ${executorArgv(runsFile)}, timeoutSec: 10 }
routes:
  - id: kill-r1
    name: Kill test route
    environment: test
    primary: true
    class: core
    probes: [{ kind: icmp, target: 127.0.0.1 }]
    paths:
      - { id: primary, role: primary, nextHop: ${PRIMARY}, probe: { kind: icmp, target: ${PRIMARY}, count: 1, timeoutMs: 200 } }
      - { id: backup-a, role: backup, nextHop: 127.0.0.1, probe: { kind: icmp, target: 127.0.0.1, count: 2, intervalMs: 20 } }
      - { id: backup-b, role: backup, nextHop: 127.0.0.2, probe: { kind: icmp, target: 127.0.0.2, count: 2, intervalMs: 20 } }
    owner: { team: net }
    failoverPolicy: slow-command
    escalationPolicy: quick
`;
}

function workerEnv(taskQueue: string) {
  const uri = new URL(testMongoUri());
  uri.pathname = `/${db.dbName}`;
  return { TEMPORAL_ADDRESS: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS, MONGODB_URI: uri.toString(), TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' };
}

async function startOutage(taskQueue: string, workflowId: string) {
  const down: RouteTransitionSignal = { routeId: 'kill-r1', kind: 'down', at: new Date().toISOString(), status: 'down', score: 0, taxonomy: ['unreachable'], cause: 'probe' };
  return client.workflow.signalWithStart<typeof outageWorkflow, [RouteTransitionSignal]>('outageWorkflow', {
    workflowId,
    taskQueue,
    args: [{ key: 'route:kill-r1', confirm: { attempts: 1, intervalMs: 0 }, stableForMs: 1000 }],
    signal: routeTransition,
    signalArgs: [down],
  });
}

/** Console channel lines of a kind in a worker's output (one line per delivery). */
const deliveries = (output: string, kind: string) => output.split('\n').filter((l) => l.includes(`"kind":"${kind}"`) && l.includes('"msg"')).length;

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});
afterAll(() => connection?.close());
beforeEach(() => db.clear());

it('SIGKILL during escalation: levels fire once each after the restart', async () => {
  await importRouteFile(writeTempFile(routeFile('manual')), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
  const taskQueue = `kill-esc-${Date.now()}`;
  const first = spawnCli(['worker'], workerEnv(taskQueue));
  const handle = await startOutage(taskQueue, `outage:kill-esc-${Date.now()}`);
  await until('level 2', () => deliveries(first.output(), 'escalated') >= 1, 30_000);
  first.child.kill('SIGKILL');
  await first.exited;
  const second = spawnCli(['worker'], workerEnv(taskQueue));
  try {
    // The send cut off by the kill is retried after its 10 s timeout; level 3 follows.
    await until('level 3', () => deliveries(second.output(), 'escalated') >= 1, 45_000);
    await handle.executeUpdate(resolve, { args: [{ actor: { platform: 'api', id: 'chaos' } }] });
    expect((await handle.result()).phase).toBe('resolved');
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
  const all = first.output() + second.output();
  expect(deliveries(all, 'opened')).toBe(1);
  expect(deliveries(all, 'escalated')).toBe(2);
  expect(await models.Notification.countDocuments({ kind: 'escalated' })).toBe(2);
}, 90_000);

it('SIGKILL during a failover: no executor run twice, and the outage still completes', async () => {
  fs.rmSync(runsFile, { force: true });
  await importRouteFile(writeTempFile(routeFile('automatic', 2)), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
  const taskQueue = `kill-fo-${Date.now()}`;
  const first = spawnCli(['worker'], workerEnv(taskQueue));
  const handle = await startOutage(taskQueue, `outage:kill-fo-${Date.now()}`);
  await until('the executor running', () => fs.existsSync(runsFile), 30_000);
  first.child.kill('SIGKILL');
  await first.exited;
  const second = spawnCli(['worker'], workerEnv(taskQueue));
  try {
    await until('failed over', async () => (await handle.query(outageState)).routes[0]?.failover === 'done', 60_000);
    // On its backup: the resolution waits for the fail-back, which needs the primary back.
    expect(await handle.executeUpdate(resolve, { args: [{ actor: { platform: 'api', id: 'chaos' } }] })).toMatchObject({ result: 'resolving' });
    execFileSync('ip', ['addr', 'add', `${PRIMARY}/32`, 'dev', 'lo']);
    expect((await handle.result()).phase).toBe('resolved');
  } finally {
    const added = execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).includes(`${PRIMARY}/32`);
    if (added) execFileSync('ip', ['addr', 'del', `${PRIMARY}/32`, 'dev', 'lo']);
    second.child.kill('SIGTERM');
    await second.exited;
  }
  const runs = fs.readFileSync(runsFile, 'utf8').trim().split('\n');
  // backup-a's run was cut off with its worker and is not repeated: its path was probed instead.
  expect(new Set(runs).size).toBe(runs.length);
  expect(runs.at(-1)).toBe('primary'); // the fail-back
  expect(await models.ExecutorRun.countDocuments()).toBe(runs.length);
  const all = first.output() + second.output();
  expect(deliveries(all, 'opened')).toBe(1);
  expect(deliveries(all, 'failed_over')).toBe(1);
}, 90_000);

describe('on a testbed', () => {
  let tb: Testbed;
  beforeAll(async () => {
    tb = await testbedUp({ id: 13, targets: 1 });
  }, 60_000);
  afterAll(() => tb?.down(), 60_000);

  /** Manual fail-over (so the test picks the moment), automatic failback after 3 s, an executor that takes 3 s. */
  function lifecycleRouteFile(): string {
    const path = (id: string, role: string, address: string) => `{ id: ${id}, role: ${role}, nextHop: ${address}, probe: { kind: icmp, target: ${address}, count: 2, intervalMs: 20, timeoutMs: 300 } }`;
    return `version: 1
classes:
  - { id: core, thresholds: { latencyMs: 100, lossPct: 20, jitterMs: 30 } }
teams:
  - { id: net, name: Net, contact: net@example.com, notify: [{ platform: console, target: noc, minSeverity: info }] }
escalationPolicies:
  - { id: slow, levels: [{ afterSec: 0, notify: ["team:net"] }, { afterSec: 3600, notify: ["team:net"] }] }
failoverPolicies:
  - id: by-hand
    mode: manual
    failoverThreshold: 50
    failbackThreshold: 80
    failbackDelaySec: 3
    failbackMode: automatic
    executor: { kind: command, argv: ${executorArgv(runsFile)}, timeoutSec: 10 }
routes:
  - id: kill-tb
    name: Kill test route on the testbed
    environment: test
    primary: true
    class: core
    probes: [{ kind: icmp, target: ${tb.targets[0]} }]
    paths:
      - ${path('primary', 'primary', tb.links.primary.coreAddress)}
      - ${path('backup', 'backup', tb.links.backup.coreAddress)}
    owner: { team: net }
    failoverPolicy: by-hand
    escalationPolicy: slow
`;
  }

  it('SIGKILL in every phase of one outage (detect, alert, acknowledge, fail over, fail back, resolve): each happens once', async () => {
    fs.rmSync(runsFile, { force: true });
    await importRouteFile(writeTempFile(lifecycleRouteFile()), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
    const taskQueue = `kill-phases-${Date.now()}`;
    const workers: ReturnType<typeof spawnCli>[] = [];
    const startWorker = () => workers.push(spawnCli(['worker'], workerEnv(taskQueue)));
    const killWorker = async () => {
      const w = workers.at(-1)!;
      w.child.kill('SIGKILL');
      await w.exited;
      startWorker();
    };
    const actor = { platform: 'api' as const, id: 'chaos' };
    const at = () => new Date().toISOString();
    const signal = (kind: RouteTransitionSignal['kind'], status: RouteTransitionSignal['status']): RouteTransitionSignal => ({ routeId: 'kill-tb', kind, at: at(), status, score: status === 'up' ? 100 : 0, taxonomy: [], cause: 'probe' });
    startWorker();
    try {
      await tb.fail('primary');
      const handle = await client.workflow.signalWithStart<typeof outageWorkflow, [RouteTransitionSignal]>('outageWorkflow', {
        workflowId: `outage:kill-tb-${Date.now()}`,
        taskQueue,
        args: [{ key: 'route:kill-tb', confirm: { attempts: 3, intervalMs: 2000 }, stableForMs: 3000, failbackCheckMs: 1000 }],
        signal: routeTransition,
        signalArgs: [signal('down', 'down')],
      });
      const state = () => handle.query(outageState);

      // detect: killed while the confirmation probes run.
      await until('confirming', async () => (await state()).phase === 'detecting', 60_000);
      await killWorker();
      // alert: killed as soon as the incident is recorded, with the page about to go out.
      await until('the incident', () => models.Incident.exists({ routes: 'kill-tb' }), 60_000);
      await killWorker();
      // acknowledge: killed right after the workflow accepted the update.
      await until('open', async () => (await state()).phase === 'open', 60_000);
      const ack = await handle.startUpdate(acknowledge, { args: [{ actor, note: 'on it' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await killWorker();
      expect((await ack.result()).result).toBe('acknowledged');
      // fail over: killed while the executor command runs.
      const failover = await handle.startUpdate(requestFailover, { args: [{ actor }], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await until('the fail-over executor running', () => fs.existsSync(runsFile), 30_000);
      await killWorker();
      expect((await failover.result()).result).toBe('failed_over');
      // fail back: the route is fine on the backup; the primary comes back; killed while failing back.
      await handle.signal(routeTransition, signal('recovered', 'up'));
      await tb.heal('primary');
      await until('the failback executor running', () => fs.readFileSync(runsFile, 'utf8').includes('primary'), 60_000);
      await killWorker();
      await until('back on the primary', async () => (await state()).routes[0]?.activePath === 'primary', 60_000);
      // resolve: killed once the resolution is on the timeline, while the packet is being made.
      await until('resolved on the timeline', () => models.TimelineEvent.exists({ kind: 'resolved' }), 60_000);
      await killWorker();
      expect((await handle.result()).phase).toBe('resolved');
      await until('the packet', () => models.TimelineEvent.exists({ kind: 'packet' }), 60_000);
    } finally {
      await tb.heal('primary');
      const last = workers.at(-1)!;
      last.child.kill('SIGTERM');
      await last.exited;
    }
    const all = workers.map((w) => w.output()).join('');
    const runs = fs.readFileSync(runsFile, 'utf8').trim().split('\n');
    const counts = {
      incidents: await models.Incident.countDocuments(),
      notifications: await models.Notification.countDocuments(),
      executor_runs: await models.ExecutorRun.countDocuments(),
      packets: await models.TimelineEvent.countDocuments({ kind: 'packet' }),
    };
    console.log(`CHAOS worker-kill-phases kills=${workers.length - 1} incidents=${counts.incidents} notifications=${counts.notifications} executor_runs=${counts.executor_runs} packets=${counts.packets}`);
    expect(workers).toHaveLength(7);
    expect(counts).toEqual({ incidents: 1, notifications: 5, executor_runs: 2, packets: 1 });
    expect(runs).toEqual(['backup', 'primary']);
    for (const kind of ['opened', 'acknowledged', 'failed_over', 'failed_back', 'resolved']) {
      expect([kind, await models.Notification.countDocuments({ kind })]).toEqual([kind, 1]);
      // The alert kill can land between the page's console line and the record of its delivery: the
      // retry prints it again (a page is delivered at least once; a console line cannot be asked
      // whether it went out). Every other kind, and the page's one record, exactly once.
      if (kind === 'opened') expect([1, 2]).toContain(deliveries(all, kind));
      else expect([kind, deliveries(all, kind)]).toEqual([kind, 1]);
    }
    expect(await models.AuditEntry.countDocuments({ action: 'incident.acknowledge' })).toBe(1);
    expect(await models.Incident.findOne().lean()).toMatchObject({ state: 'resolved', acknowledgedBy: { id: 'chaos' }, activePath: 'primary' });
  }, 240_000);
});
