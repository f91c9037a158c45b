import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import { freePort } from '../../src/embedded/ports';
import { spawnCli, waitForHealthy } from '../support/cli';
import { testMongoUri, uniqueDbName } from '../support/database';
import { processesMentioning, waitForExit } from '../support/processes';
import { isolateSuite, isolationEnv } from '../support/suite-isolation';

/** Environment for a `statetrace start` with its own data folder and free ports. */
async function startEnv(extra: NodeJS.ProcessEnv = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-start-'));
  const httpPort = await freePort();
  return {
    dataDir,
    httpPort,
    env: {
      STATETRACE_DATA_DIR: dataDir,
      STATETRACE_HTTP_PORT: String(httpPort),
      STATETRACE_TEMPORAL_PORT: '0',
      STATETRACE_TEMPORAL_UI_PORT: '0',
      STATETRACE_FERRETDB_PORT: '0',
      STATETRACE_TRAP_PORT: String(await freePort()),
      TEMPORAL_ADDRESS: '',
      MONGODB_URI: '',
      ...extra,
    },
  };
}

async function startAndWait(env: NodeJS.ProcessEnv, httpPort: number) {
  const run = spawnCli(['start'], env);
  let alive = true;
  void run.exited.then(() => (alive = false));
  try {
    const health = await waitForHealthy(`http://127.0.0.1:${httpPort}/healthz`, 90_000, () => alive);
    return { run, health };
  } catch (err) {
    run.child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- output ---\n${run.output()}`);
  }
}

function serverPids(dataDir: string): number[] {
  const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'embedded.json'), 'utf8')) as { temporal: { pid: number }; mongo: { pid: number } };
  return [state.temporal.pid, state.mongo.pid];
}

describe('statetrace start (embedded stack)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('serves /healthz with Temporal and FerretDB connected, and %s leaves no process behind', async (signal) => {
    const { env, dataDir, httpPort } = await startEnv();
    const { run, health } = await startAndWait(env, httpPort);
    expect(health).toMatchObject({
      status: 'ok',
      checks: {
        temporal: { ok: true, embedded: true, namespace: 'default' },
        mongodb: { ok: true, embedded: true },
        worker: { ok: true, state: 'RUNNING' },
      },
    });
    const pids = serverPids(dataDir);
    expect(processesMentioning(dataDir).sort()).toEqual([...pids].sort());
    // the example route file was imported at boot, and its loopback routes are being probed
    expect(run.output()).toMatch(/route directory loaded from STATETRACE_ROUTES_FILE/);
    if (signal === 'SIGINT') {
      const swept = await waitForHealthy(`http://127.0.0.1:${httpPort}/healthz`, 30_000, () => true, (body) =>
        ((body.checks as { sweeper?: { snapshotsWritten?: number } }).sweeper?.snapshotsWritten ?? 0) >= 2,
      );
      expect(swept.checks).toMatchObject({ sweeper: { ok: true, routes: 2 } });
    }

    run.child.kill(signal);
    expect(await run.exited).toBe(0);
    expect(await waitForExit(pids, 5000)).toBe(true);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'embedded.json'))).toBe(false);
  });

  it('a SIGKILLed start takes its servers with it (parent-death signal)', async () => {
    const { env, dataDir, httpPort } = await startEnv();
    const { run } = await startAndWait(env, httpPort);
    const pids = serverPids(dataDir);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await waitForExit(pids, 10_000)).toBe(true);
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('keeps Temporal state across a restart (open workflows survive)', async () => {
    const { env, dataDir, httpPort } = await startEnv();
    const first = await startAndWait(env, httpPort);
    const address = (first.health.checks as { temporal: { address: string } }).temporal.address;
    const connection = await Connection.connect({ address });
    const workflowId = `restart-probe-${Date.now()}`;
    try {
      // A workflow nobody polls for stays RUNNING: it stands for an open incident.
      await new WorkflowClient({ connection }).start('nobodyRunsThis', { taskQueue: 'restart-probe', workflowId });
    } finally {
      await connection.close();
    }
    first.run.child.kill('SIGTERM');
    expect(await first.run.exited).toBe(0);

    const second = await startAndWait(env, httpPort);
    try {
      const again = await Connection.connect({ address: (second.health.checks as { temporal: { address: string } }).temporal.address });
      try {
        const description = await new WorkflowClient({ connection: again }).getHandle(workflowId).describe();
        expect(description.status.name).toBe('RUNNING');
      } finally {
        await again.close();
      }
    } finally {
      second.run.child.kill('SIGTERM');
      expect(await second.run.exited).toBe(0);
    }
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('uses external Temporal and MongoDB when configured and starts nothing', async () => {
    const mongoUri = new URL(testMongoUri());
    mongoUri.pathname = `/${uniqueDbName('start_external')}`;
    const { env, dataDir, httpPort } = await startEnv({
      TEMPORAL_ADDRESS: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS,
      MONGODB_URI: mongoUri.toString(),
      // The example routes' outages, if any, stay this file's on the shared server.
      ...isolationEnv(isolateSuite()),
    });
    const { run, health } = await startAndWait(env, httpPort);
    expect(health).toMatchObject({ checks: { temporal: { ok: true, embedded: false }, mongodb: { ok: true, embedded: false } } });
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'embedded.json'))).toBe(false);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('stops cleanly, saying what to do, when the SNMP trap port is taken', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      const { env, dataDir } = await startEnv({ STATETRACE_TRAP_PORT: String(taken.address().port), STATETRACE_TRAP_COMMUNITIES: 'public' });
      const run = spawnCli(['start'], env);
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/SNMP trap receiver cannot listen on udp 127\.0\.0\.1:\d+ \(bind EADDRINUSE[^)]*\); set STATETRACE_TRAP_PORT/);
      expect(processesMentioning(dataDir)).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it('refuses to start with a broken route file and says why', async () => {
    const routes = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-badroutes-')), 'routes.yaml');
    fs.writeFileSync(routes, 'version: 1\nclasses: [\n');
    const { env, dataDir } = await startEnv({ STATETRACE_ROUTES_FILE: routes });
    const run = spawnCli(['start'], env);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('route file refused, nothing imported');
    expect(run.output()).toContain(`${routes}:`);
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
