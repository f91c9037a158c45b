import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Actor } from '../../../activities/outage-contract';
import { createCommandCore, type CommandCore, type CommandReply, type CoreDeps } from '../../../bot/core/command-core';
import { parseCommand } from '../../../bot/core/parse-command';
import type { Role } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { models } from '../../../src/models';
import { loadRunbooks } from '../../../src/runbooks/load-runbooks';
import { outageState, routeTransition, type OutageState, type RouteTransitionSignal } from '../../../workflows/messages';
import type { outageWorkflow } from '../../../workflows/outage';
import { down, fakeActivities, routeContext, up, type PathScript } from '../../support/outage-fakes';
import { until } from '../../support/until';

/**
 * The command core against the real Temporal dev server of the test run: a worker runs the
 * outage workflow on in-memory activities (which write nothing to MongoDB), so each test
 * inserts the Incident document the store activity would have written.
 */
export const ALICE: Actor = { platform: 'slack', id: 'U0ALICE', name: 'alice' };
export const VIVIAN: Actor = { platform: 'slack', id: 'U0VIVIAN', name: 'vivian' };

/** The primary path stays down; every backup verifies. */
const primaryDown: PathScript = (_r, pathId) => (pathId === 'primary' ? down : up);

export interface CoreRig {
  core: CommandCore;
  client: Client;
  calls: ReturnType<typeof fakeActivities>['calls'];
  taskQueue: string;
  /** Starts an outage of r1 (manual fail-over) and records its Incident document; resolves once it is open. */
  startOutage(routes?: string[]): Promise<{ handle: WorkflowHandle<typeof outageWorkflow>; incidentId: string; workflowId: string }>;
  stop(): Promise<void>;
}

export async function startCoreRig(): Promise<CoreRig> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process by another test file: keep it.
  }
  const address = process.env.STATETRACE_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('STATETRACE_TEST_TEMPORAL_ADDRESS is unset: run the tests through jest (global setup)');
  // Manual fail-over: the workflow fails over only when asked; one escalation level at once.
  const manual = (id: string) =>
    routeContext(id, {
      failoverPolicy: { id: 'manual', mode: 'manual', failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 120, failbackMode: 'approval' },
      escalationPolicy: { id: 'std', levels: [{ afterSec: 0, notify: ['team:net'] }], repeat: 0, repeatEverySec: 600 },
    });
  const fakes = fakeActivities({ r1: manual('r1'), r2: manual('r2') }, primaryDown);
  const taskQueue = `core-test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: require.resolve('../../../workflows'), activities: fakes.activities });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const deps: CoreDeps = { models, workflows: client.workflow, taskQueue, runbooks: await loadRunbooks(), logger: createLogger('silent') };
  const core = createCommandCore(deps);
  const started: WorkflowHandle[] = [];
  let n = 0;

  return {
    core,
    client,
    calls: fakes.calls,
    taskQueue,
    async startOutage(routes = ['r1']) {
      const workflowId = `outage:core-test-${taskQueue}-${++n}`;
      const first: RouteTransitionSignal = { routeId: routes[0]!, kind: 'down', at: new Date().toISOString(), status: 'down', score: 0, taxonomy: ['link_down'], cause: 'probe' };
      const handle = await client.workflow.signalWithStart<typeof outageWorkflow, [RouteTransitionSignal]>('outageWorkflow', {
        workflowId,
        taskQueue,
        args: [{ key: `route:${first.routeId}`, confirm: { attempts: 0, intervalMs: 0 } }],
        signal: routeTransition,
        signalArgs: [first],
      });
      started.push(handle);
      const state = await until('the outage to open', async () => {
        const s = await handle.query(outageState);
        return s.phase === 'open' && s.incidentId ? s : undefined;
      }, 30_000);
      const incidentId = state.incidentId!;
      await models.Incident.create({ _id: incidentId, workflowId, routes, severity: 'critical', state: 'open', detectedAt: new Date(first.at) });
      return { handle, incidentId, workflowId };
    },
    async stop() {
      // Outages left open by a test end with it; the worker then drains and stops.
      await Promise.all(started.map((h) => h.terminate('test over').catch(() => undefined)));
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Parses text (which must parse) and runs it through the core. */
export async function runText(
  core: CommandCore,
  text: string,
  opts: { role: Role; actor?: Actor; requestId?: string; incidentId?: string },
): Promise<CommandReply> {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(`"${text}" does not parse: ${parsed.reply}`);
  return core.run({
    command: parsed.command,
    actor: opts.actor ?? (opts.role === 'viewer' || opts.role === 'none' ? VIVIAN : ALICE),
    role: opts.role,
    requestId: opts.requestId ?? `req-${Math.random().toString(36).slice(2)}`,
    incidentId: opts.incidentId,
  });
}

export const stateOf = (handle: WorkflowHandle<typeof outageWorkflow>): Promise<OutageState> => handle.query(outageState);
