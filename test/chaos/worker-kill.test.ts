import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { importRouteFile } from '../../src/directory/import-routes';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { outageState, resolve, routeTransition, type RouteTransitionSignal } from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';
import { spawnCli } from '../support/cli';
import { testMongoUri, useTestDatabase } from '../support/database';
import { until } from '../support/until';
import { writeTempFile } from '../fixtures/route-files';

/**
 * A `statetrace worker` process SIGKILLed in the middle of an outage, then started again,
 * against the dev server and FerretDB: the outage completes, and no notification is sent
 * twice and no executor run happens twice (counted on the workers' console output and in a
 * file the executor command appends to).
 */
const db = useTestDatabase('worker_kill');
const logger = createLogger('silent');
const runsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-kill-')), 'executor-runs.txt');
let connection: Connection;
let client: Client;

function routeFile(failoverMode: 'automatic' | 'manual'): string {
  // The command appends one line per run, then takes 3 s: long enough to kill the worker during it.
  const script = "require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n'); setTimeout(() => {}, 3000)";
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
    failbackDelaySec: 3600
    executor: { kind: command, argv: ["${process.execPath}", "-e", "${script}", "${runsFile}", "{{to.id}}"], timeoutSec: 10 }
routes:
  - id: kill-r1
    name: Kill test route
    environment: test
    primary: true
    class: core
    probes: [{ kind: icmp, target: 127.0.0.1 }]
    paths:
      - { id: primary, role: primary, nextHop: 198.18.255.1, probe: { kind: icmp, target: 198.18.255.1, count: 1, timeoutMs: 200 } }
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
  await importRouteFile(writeTempFile(routeFile('automatic')), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
  const taskQueue = `kill-fo-${Date.now()}`;
  const first = spawnCli(['worker'], workerEnv(taskQueue));
  const handle = await startOutage(taskQueue, `outage:kill-fo-${Date.now()}`);
  await until('the executor running', () => fs.existsSync(runsFile), 30_000);
  first.child.kill('SIGKILL');
  await first.exited;
  const second = spawnCli(['worker'], workerEnv(taskQueue));
  try {
    await until('failed over', async () => (await handle.query(outageState)).routes[0]?.failover === 'done', 60_000);
    await handle.executeUpdate(resolve, { args: [{ actor: { platform: 'api', id: 'chaos' } }] });
    expect((await handle.result()).phase).toBe('resolved');
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
  }
  const runs = fs.readFileSync(runsFile, 'utf8').trim().split('\n');
  // backup-a's run was cut off with its worker and is not repeated; the workflow moved on.
  expect(new Set(runs).size).toBe(runs.length);
  expect(await models.ExecutorRun.countDocuments()).toBe(runs.length);
  const all = first.output() + second.output();
  expect(deliveries(all, 'opened')).toBe(1);
  expect(deliveries(all, 'failed_over')).toBe(1);
}, 90_000);
