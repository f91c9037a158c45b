import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadConfig } from '../../src/config';
import { toolPaths } from '../../src/tools';
import { routeTransition, type RouteTransitionSignal } from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';
import { down, fakeActivities, up, type PathScript } from '../support/outage-fakes';
import type { RouteContext } from '../../activities/route-directory';
import type { Activities } from '../../activities';

/**
 * The outage workflow on Temporal's time-skipping test server with in-memory activities:
 * hours of escalation and failback delay pass in seconds. With STATETRACE_RECORD_HISTORIES=1
 * each test's history is saved to test/workflows/histories/ for the replay test.
 * Call `outageTestEnv()` at the top of a test file: it starts the server for that file.
 */
const HISTORIES = path.join(__dirname, 'histories');

export const transition = (routeId: string, kind: RouteTransitionSignal['kind'], status: RouteTransitionSignal['status'] = 'down'): RouteTransitionSignal => ({
  routeId,
  kind,
  at: new Date().toISOString(),
  status,
  score: status === 'up' ? 100 : 0,
  taxonomy: status === 'down' ? ['unreachable'] : [],
  cause: 'probe',
});

export const kinds = (calls: { kind: string }[]) => calls.map((c) => c.kind);
export const primaryDown: PathScript = (_r, pathId) => (pathId === 'primary' ? down : up);
/** The primary is down until `heal()`; backups answer (or as `backups` says). */
export function healablePrimary(backups: (pathId: string) => typeof up = () => up) {
  let healed = false;
  const script: PathScript = (_r, pathId) => (pathId === 'primary' ? (healed ? up : down) : backups(pathId));
  return { script, heal: () => void (healed = true) };
}
export const ops = { platform: 'api' as const, id: 'ops' };

type Calls = ReturnType<typeof fakeActivities>['calls'];

export function outageTestEnv() {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: toolPaths(loadConfig().toolsDir).temporalTestServer } },
    });
    bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  }, 120_000);
  afterAll(() => env?.teardown());

  /** Runs fn with a worker on the given fakes; the history is kept for the replay test. */
  async function withOutage(
    name: string,
    contexts: Record<string, RouteContext>,
    script: PathScript,
    first: RouteTransitionSignal,
    fn: (h: WorkflowHandle<typeof outageWorkflow>, calls: Calls) => Promise<void>,
    input: Partial<Parameters<typeof outageWorkflow>[0]> = {},
    replace: Partial<Activities> = {},
  ) {
    const fakes = fakeActivities(contexts, script);
    const { calls } = fakes;
    const activities = { ...fakes.activities, ...replace };
    const taskQueue = `outage-test-${name}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.signalWithStart<typeof outageWorkflow, [RouteTransitionSignal]>('outageWorkflow', {
        workflowId: `outage:${name}`,
        taskQueue,
        args: [{ key: `route:${first.routeId}`, confirm: { attempts: 2, intervalMs: 1000 }, failbackCheckMs: 10_000, ...input }],
        signal: routeTransition,
        signalArgs: [first],
      });
      try {
        await fn(handle, calls);
      } catch (err) {
        // A failed test must not leave a workflow that holds the shared test server's clock.
        await handle.terminate('test failed').catch(() => undefined);
        throw err;
      }
      // STATETRACE_RECORD_HISTORIES=1 refreshes the histories the replay test checks (commit them).
      if (process.env.STATETRACE_RECORD_HISTORIES === '1') {
        fs.mkdirSync(HISTORIES, { recursive: true });
        // Binary protobuf: proto3 JSON conversion trips over jest's module registry.
        fs.writeFileSync(path.join(HISTORIES, `${name}.history.pb`), temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish());
      }
    });
  }
  return { withOutage, env: () => env };
}
