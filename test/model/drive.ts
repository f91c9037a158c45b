import { WorkflowNotFoundError } from '@temporalio/client';
import type { RouteContext } from '../../activities/route-directory';
import { outageState, routeTransitions, type OutageState, type RouteTransitionSignal } from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';
import { routeContext } from '../support/outage-fakes';
import type { Lane } from './lane';
import { Operator, type RequestRecord } from './operator';
import { readRuns, type RunRecord } from './runs';
import { OPENING_KINDS, STATUS_OF, type History, type RouteSpec, type Step, type TransitionKind } from './sequence';
import { ServerClock } from './server-clock';
import { World } from './world';

/**
 * Plays one generated history on a lane the way production would: transitions as the sweeper
 * sends them (signalWithStart for opening kinds, a plain signal otherwise, dropped when no run
 * is open), operator requests as the chat front ends send them (Temporal updates), and the
 * world changed under the workflow's feet. Then the settle phase, and a record of everything
 * for the invariants.
 */

export interface SentTransition {
  signal: RouteTransitionSignal;
  step: number;
  /** Server time it was sent (unique within a history: its `at`). */
  at: number;
  delivered: boolean;
  /** Whether the route was inside its maintenance window (the whole history, in the model). */
  maintenance: boolean;
  settle: boolean;
}

export type { RequestRecord } from './operator';

export interface Observation {
  history: History;
  workflowId: string;
  contexts: Record<string, RouteContext>;
  world: World;
  transitions: SentTransition[];
  requests: RequestRecord[];
  runs: RunRecord[];
  /** The last run: its state by query (open) or its result (completed). */
  final: { status: string; state?: OutageState };
  /** Executor runs that existed when each step began (and, last, when the settle phase began). */
  runsAtStep: number[];
  /** The server's clock stopped: something never finished (a workflow task failing again and again). */
  clockHeld: boolean;
  /** Server time when the settle phase began and ended. */
  settledFrom: number;
  end: number;
}

/** MODEL_TRACE=steps prints each step of each history as it is played. */
const trace = process.env.MODEL_TRACE === 'steps' ? (line: string) => console.log(`  ${new Date().toISOString()} ${line}`) : () => undefined;

export const routeIdOf = (i: number) => `r${i + 1}`;
/** Closing kind the sweeper sends when a route heals after an opening one. */
const closingOf = (kind: string): TransitionKind => (kind === 'telemetry_gap' ? 'telemetry_restored' : 'recovered');

function contextOf(id: string, spec: RouteSpec, nowMs: number, confirmAttempts: number): RouteContext {
  const base = routeContext(id);
  return {
    ...base,
    routeClass: { ...base.routeClass, confirm: { attempts: confirmAttempts, intervalMs: 1000 } },
    failoverPolicy: spec.failover === 'none' ? undefined : { id: spec.failover, mode: spec.failover, failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 60, failbackMode: spec.failback },
    escalationPolicy: spec.escalation ? base.escalationPolicy : undefined,
    maintenance: spec.maintenance ? [{ start: new Date(nowMs - 3_600_000).toISOString(), end: new Date(nowMs + 30 * 86_400_000).toISOString(), reason: 'model window' }] : [],
  };
}

/** What a history is doing now, for a history that stalls on the wall clock to say where. */
export interface Progress {
  doing: string;
}

export async function playHistory(lane: Lane, history: History, progress: Progress = { doing: '' }): Promise<Observation> {
  const { env } = lane;
  const { scenario } = history;
  const startMs = await env.currentTimeMs();
  const contexts = Object.fromEntries(scenario.routes.map((spec, i) => [routeIdOf(i), contextOf(routeIdOf(i), spec, startMs, scenario.confirmAttempts)]));
  const world = new World(contexts);
  const workflowId = lane.claim(world);
  const dependency = workflowId.slice('outage:dep:'.length);
  const taskQueue = lane.taskQueue(scenario.cacheless);
  const handle = env.client.workflow.getHandle<typeof outageWorkflow>(workflowId);
  const transitions: SentTransition[] = [];
  const runIds = new Set<string>();
  const runsAtStep: number[] = [];
  const clock = new ServerClock(env, handle);
  let lastAt = 0;
  const nextAt = async () => (lastAt = Math.max(await env.currentTimeMs(), lastAt + 1));

  const send = async (batch: { routeId: string; kind: TransitionKind }[], step: number, settle: boolean) => {
    const at = await nextAt();
    const signals: RouteTransitionSignal[] = batch.map(({ routeId, kind }, i) => ({
      routeId,
      kind,
      at: new Date(at + i).toISOString(),
      status: STATUS_OF[kind],
      score: STATUS_OF[kind] === 'up' ? 100 : 0,
      taxonomy: STATUS_OF[kind] === 'up' ? [] : ['unreachable'],
      cause: 'model',
    }));
    lastAt = at + batch.length - 1;
    let delivered = true;
    if (signals.some((s) => OPENING_KINDS.has(s.kind))) {
      const started = await env.client.workflow.signalWithStart<typeof outageWorkflow, [RouteTransitionSignal[]]>('outageWorkflow', {
        workflowId,
        taskQueue,
        args: [{ key: `dep:${dependency}`, dependency, confirm: { attempts: scenario.confirmAttempts, intervalMs: 1000 }, stableForMs: 120_000, failbackCheckMs: 5000, ...(scenario.historyLimit ? { historyLimit: scenario.historyLimit } : {}) }],
        signal: routeTransitions,
        signalArgs: [signals],
      });
      runIds.add(started.signaledRunId);
    } else {
      try {
        await handle.signal(routeTransitions, signals);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        delivered = false;
      }
    }
    signals.forEach((signal, i) =>
      transitions.push({ signal, step, at: at + i, delivered, maintenance: scenario.routes[Number(signal.routeId.slice(1)) - 1]!.maintenance, settle }),
    );
  };

  const stateNow = async (): Promise<OutageState | undefined> => {
    try {
      const described = await handle.describe();
      runIds.add(described.runId);
      return described.status.name === 'RUNNING' && !clock.held ? await clock.unlessHeld(handle.query(outageState)) : undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };

  const operator = new Operator(handle, world, clock, stateNow);

  const perform = async (step: Step, n: number) => {
    switch (step.t) {
      case 'transitions':
        for (const { route, kind, link } of step.batch) {
          if (link && kind !== 'telemetry_gap' && kind !== 'telemetry_restored') world.setLink(routeIdOf(route), 'primary', STATUS_OF[kind] === 'up');
        }
        return send(step.batch.map(({ route, kind }) => ({ routeId: routeIdOf(route), kind })), n, false);
      case 'ack':
        return operator.acknowledge(n);
      case 'failover':
        return operator.request('failover', n, step.request, step.repeat, routeIdOf(step.route));
      case 'failback':
        return operator.request('failback', n, step.request, step.repeat);
      case 'resolve':
        return operator.request('resolve', n, step.request, step.repeat);
      case 'executor':
        world.executorOutcomes.push(...step.outcomes);
        return;
      case 'link':
        return world.setLink(routeIdOf(step.route), step.path, step.up);
      case 'chatDown':
        world.chatDownUntil = (await clock.now()) + step.sec * 1000;
        return;
      case 'storeLag':
        world.storeLag++;
        return;
      case 'restart':
        return lane.restart(scenario.cacheless);
      case 'sleep':
        return clock.advance(step.sec * 1000);
    }
  };

  try {
    for (const [n, step] of history.steps.entries()) {
      if (clock.held) break;
      runsAtStep.push(world.executorRuns.size);
      progress.doing = `step ${n} (${step.t})`;
      trace(`step ${n}: ${JSON.stringify(step)}`);
      await perform(step, n);
      // A moment for the workflow to take the step in (time skips once it is idle).
      await clock.advance(1000);
    }

    // Settle: the network heals, the executor and chat work, every route that went down recovers.
    progress.doing = 'the settle phase';
    trace('settle');
    const settledFrom = await env.currentTimeMs();
    runsAtStep.push(world.executorRuns.size);
    world.heal();
    const last = new Map<string, string>();
    for (const t of transitions) last.set(t.signal.routeId, t.signal.kind);
    const closings = [...last].filter(([, kind]) => OPENING_KINDS.has(kind)).map(([routeId, kind]) => ({ routeId, kind: closingOf(kind) }));
    if (closings.length > 0 && !clock.held) await send(closings, history.steps.length, true);
    for (let i = 0; i < 4; i++) await clock.advance(15 * 60_000);
    await operator.answers();

    progress.doing = 'reading the runs';
    const described = await handle.describe().catch(() => undefined);
    if (described) runIds.add(described.runId);
    const runs = await readRuns(env.client, workflowId, [...runIds]);
    const lastRun = runs.find((r) => r.runId === described?.runId);
    const final = { status: described?.status.name ?? 'NONE', state: described?.status.name === 'RUNNING' ? await stateNow() : lastRun?.result };
    return { history, workflowId, contexts, world, transitions, requests: operator.requests, runs, final, runsAtStep, clockHeld: clock.held, settledFrom, end: await env.currentTimeMs() };
  } finally {
    // An open run would hold the lane's clock (its timers keep firing for nobody).
    progress.doing = 'terminating the workflow';
    await handle.terminate('model history ended').catch(() => undefined);
    lane.release(workflowId);
  }
}
