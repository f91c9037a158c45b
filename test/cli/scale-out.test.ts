import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { freePort } from '../../src/embedded/ports';
import { spawnCli, waitForHealthy } from '../support/cli';
import { testMongoUri, uniqueDbName } from '../support/database';

/** `statetrace worker` and `statetrace api` as separate processes on shared (external) servers. */
describe('scale-out parts', () => {
  const mongoUri = new URL(testMongoUri());
  mongoUri.pathname = `/${uniqueDbName('scale_out')}`;
  const taskQueue = `scale-out-${Date.now()}`;
  const env = {
    TEMPORAL_ADDRESS: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS,
    MONGODB_URI: mongoUri.toString(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    STATETRACE_ROUTES_FILE: '',
  };

  it('a worker process polls the task queue until SIGTERM', async () => {
    const worker = spawnCli(['worker'], env);
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    try {
      const pollers = async () =>
        (
          await connection.workflowService.describeTaskQueue({
            namespace: 'default',
            taskQueue: { name: taskQueue },
            taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
          })
        ).pollers ?? [];
      const deadline = Date.now() + 30_000;
      while ((await pollers()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect((await pollers()).length).toBeGreaterThan(0);
    } finally {
      await connection.close();
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
  });

  it('an api process serves /healthz with Temporal and MongoDB, and no worker check', async () => {
    const port = await freePort();
    const api = spawnCli(['api'], { ...env, STATETRACE_HTTP_PORT: String(port) });
    let alive = true;
    void api.exited.then(() => (alive = false));
    try {
      const health = await waitForHealthy(`http://127.0.0.1:${port}/healthz`, 30_000, () => alive);
      expect(health).toMatchObject({ status: 'ok', checks: { temporal: { ok: true, embedded: false }, mongodb: { ok: true, embedded: false } } });
      expect(health.checks).not.toHaveProperty('worker');
    } finally {
      api.child.kill('SIGINT');
    }
    expect(await api.exited).toBe(0);
  });
});
