import { WorkflowNotFoundError, WorkflowUpdateStage, type WorkflowUpdateHandle } from '@temporalio/client';
import type { RouteContext } from '../../activities/route-directory';
import {
  acknowledge,
  approveFailback,
  outageState,
  requestFailover,
  resolve,
  routeTransitions,
  type OutageState,
  type RouteTransitionSignal,
} from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';
import { routeContext } from '../support/outage-fakes';
import type { Lane } from './lane';
import { isCodeFailure, readRuns, type RunRecord } from './runs';
import { OPENING_KINDS, STATUS_OF, type History, type Repeat, type RouteSpec, type Step, type TransitionKind } from './sequence';
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

export interface RequestRecord {
  kind: 'ack' | 'failover' | 'failback' | 'resolve';
  step: number;
  requestId?: string;
  routeId?: string;
  /** An earlier request with this id had been answered before this one was sent. */
  resend: boolean;
  concurrent: boolean;
  /** Server time it was sent. */
  sentAt: number;
  /** The workflow's state just before (open runs only). */
  before?: OutageState;
  /** Executor runs that existed when it was sent / when it was answered. */
  runsBefore: number;
  runsAtAnswer?: number;
  answer?: { result: string } & Record<string, unknown>;
  refused?: string;
  /** Not answered by the end of the history. */
  pending: boolean;
}

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

/**
 * Wall time a time jump, an update's acceptance or a query may take before the clock counts as
 * held. Above the longest activity timeout but the executor's (30 s): an activity cut off by a
 * worker restart is waited for until its timeout, and time does not skip while it is outstanding.
 */
const CLOCK_WALL_MS = 45_000;
/** How often a waiting call looks for a workflow task that failed (it would fail again and again). */
const TASK_FAILURE_POLL_MS = 1500;

export const routeIdOf = (i: number) => `r${i + 1}`;
const OPERATOR = { platform: 'slack' as const, id: 'U-model', name: 'model' };
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

export async function playHistory(lane: Lane, history: History): Promise<Observation> {
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
  const requests: RequestRecord[] = [];
  const runIds = new Set<string>();
  const answered = new Set<string>();
  const runsAtStep: number[] = [];
  let lastAt = 0;
  let clockHeld = false;

  /** A workflow task of the current run failed: Temporal retries it, and the server's clock stands still meanwhile. */
  const taskFailed = async () => {
    const history = await handle.fetchHistory().catch(() => undefined);
    return history?.events?.some((e) => e.workflowTaskFailedEventAttributes && isCodeFailure(e.workflowTaskFailedEventAttributes)) ?? false;
  };

  /**
   * Waits for a call that needs the server's clock to move (a time jump, an update's acceptance,
   * a query). The time-skipping server skips only while no workflow task or activity is
   * outstanding; a task failing again and again holds the clock, and the history ends there.
   */
  const unlessHeld = async <T>(work: Promise<T>): Promise<T | undefined> => {
    if (clockHeld) return undefined;
    work.catch(() => undefined);
    let settled = false;
    const watch = (async (): Promise<'held'> => {
      const until = Date.now() + CLOCK_WALL_MS;
      while (!settled && Date.now() < until) {
        await new Promise((r) => setTimeout(r, TASK_FAILURE_POLL_MS));
        if (!settled && (await taskFailed())) break;
      }
      return 'held';
    })();
    try {
      const first = await Promise.race([work.then((value) => ({ value })), watch]);
      if (first !== 'held') return first.value;
      if (!settled) clockHeld = true;
      return undefined;
    } finally {
      settled = true;
    }
  };

  const advance = async (ms: number) => {
    await unlessHeld(env.sleep(ms));
  };

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
      return described.status.name === 'RUNNING' && !clockHeld ? await unlessHeld(handle.query(outageState)) : undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  };

  /** Sends one operator request as an update; its answer is collected in the background. */
  const ask = async (kind: RequestRecord['kind'], step: number, opts: { requestId?: string; routeId?: string; concurrent: boolean }): Promise<RequestRecord> => {
    const record: RequestRecord = {
      kind,
      step,
      requestId: opts.requestId,
      routeId: opts.routeId,
      resend: opts.requestId !== undefined && answered.has(`${kind}:${opts.requestId}`),
      concurrent: opts.concurrent,
      sentAt: await env.currentTimeMs(),
      before: await stateNow(),
      runsBefore: world.executorRuns.size,
      pending: true,
    };
    requests.push(record);
    const request = { actor: OPERATOR, ...(opts.requestId ? { requestId: opts.requestId } : {}) };
    try {
      const accepted: Promise<WorkflowUpdateHandle<unknown>> =
        kind === 'ack'
          ? handle.startUpdate(acknowledge, { args: [{ actor: OPERATOR }], waitForStage: WorkflowUpdateStage.ACCEPTED })
          : kind === 'failover'
            ? handle.startUpdate(requestFailover, { args: [{ ...request, routeId: opts.routeId }], waitForStage: WorkflowUpdateStage.ACCEPTED })
            : kind === 'failback'
              ? handle.startUpdate(approveFailback, { args: [request], waitForStage: WorkflowUpdateStage.ACCEPTED })
              : handle.startUpdate(resolve, { args: [{ ...request, note: 'model' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
      // A workflow task that fails as it takes the update in never accepts it.
      const update = await unlessHeld(accepted);
      if (!update) {
        clockHeld = true;
        return Object.assign(record, { refused: 'not accepted: the workflow task taking it in never completed', pending: false });
      }
      void update.result().then(
        (answer) => {
          Object.assign(record, { answer: answer as RequestRecord['answer'], pending: false, runsAtAnswer: world.executorRuns.size });
          if (opts.requestId) answered.add(`${kind}:${opts.requestId}`);
        },
        (err: unknown) => Object.assign(record, { refused: (err as Error).message, pending: false, runsAtAnswer: world.executorRuns.size }),
      );
    } catch (err) {
      Object.assign(record, { refused: (err as Error).message, pending: false, runsAtAnswer: world.executorRuns.size });
    }
    return record;
  };

  /** Lets server time pass (a second at a time) until the requests are answered, or a minute has passed. */
  const answers = async (records: RequestRecord[]) => {
    for (let i = 0; i < 60 && !clockHeld && records.some((r) => r.pending); i++) await advance(1000);
  };

  const operator = async (kind: 'failover' | 'failback' | 'resolve', step: number, requestId: string, repeat: Repeat, routeId?: string) => {
    const first = { requestId, routeId, concurrent: repeat.startsWith('concurrent') };
    if (repeat === 'once' || repeat === 'resend') {
      await answers([await ask(kind, step, first)]);
      if (repeat === 'resend') await answers([await ask(kind, step, first)]);
      return;
    }
    const other = repeat === 'concurrent-same' ? requestId : `${requestId}-other`;
    const both = await Promise.all([ask(kind, step, first), ask(kind, step, { ...first, requestId: other })]);
    await answers(both);
  };

  const perform = async (step: Step, n: number) => {
    switch (step.t) {
      case 'transitions':
        for (const { route, kind, link } of step.batch) {
          if (link && kind !== 'telemetry_gap' && kind !== 'telemetry_restored') world.setLink(routeIdOf(route), 'primary', STATUS_OF[kind] === 'up');
        }
        return send(step.batch.map(({ route, kind }) => ({ routeId: routeIdOf(route), kind })), n, false);
      case 'ack':
        return answers([await ask('ack', n, { concurrent: false })]);
      case 'failover':
        return operator('failover', n, step.request, step.repeat, routeIdOf(step.route));
      case 'failback':
        return operator('failback', n, step.request, step.repeat);
      case 'resolve':
        return operator('resolve', n, step.request, step.repeat);
      case 'executor':
        world.executorOutcomes.push(...step.outcomes);
        return;
      case 'link':
        return world.setLink(routeIdOf(step.route), step.path, step.up);
      case 'chatDown':
        world.chatDownUntil = (await env.currentTimeMs()) + step.sec * 1000;
        return;
      case 'storeLag':
        world.storeLag++;
        return;
      case 'restart':
        return lane.restart(scenario.cacheless);
      case 'sleep':
        return advance(step.sec * 1000);
    }
  };

  try {
    for (const [n, step] of history.steps.entries()) {
      if (clockHeld) break;
      runsAtStep.push(world.executorRuns.size);
      trace(`step ${n}: ${JSON.stringify(step)}`);
      await perform(step, n);
      // A moment for the workflow to take the step in (time skips once it is idle).
      await advance(1000);
    }

    // Settle: the network heals, the executor and chat work, every route that went down recovers.
    trace('settle');
    const settledFrom = await env.currentTimeMs();
    runsAtStep.push(world.executorRuns.size);
    world.heal();
    const last = new Map<string, string>();
    for (const t of transitions) last.set(t.signal.routeId, t.signal.kind);
    const closings = [...last].filter(([, kind]) => OPENING_KINDS.has(kind)).map(([routeId, kind]) => ({ routeId, kind: closingOf(kind) }));
    if (closings.length > 0 && !clockHeld) await send(closings, history.steps.length, true);
    for (let i = 0; i < 4; i++) await advance(15 * 60_000);
    await answers(requests);

    const described = await handle.describe().catch(() => undefined);
    if (described) runIds.add(described.runId);
    if (clockHeld && process.env.MODEL_TRACE === 'steps') {
      const events = (await handle.fetchHistory()).events ?? [];
      trace(`clock held; pending activities: ${JSON.stringify(described?.raw.pendingActivities?.map((a) => [a.activityType?.name, a.state, a.attempt]))}`);
      for (const e of events.slice(-12)) trace(`  ${String(e.eventId)} ${Object.keys(e).find((k) => k.endsWith('Attributes'))}`);
    }
    const runs = await readRuns(env.client, workflowId, [...runIds]);
    const lastRun = runs.find((r) => r.runId === described?.runId);
    const final = { status: described?.status.name ?? 'NONE', state: described?.status.name === 'RUNNING' ? await stateNow() : lastRun?.result };
    return { history, workflowId, contexts, world, transitions, requests, runs, final, runsAtStep, clockHeld, settledFrom, end: await env.currentTimeMs() };
  } finally {
    // An open run would hold the lane's clock (its timers keep firing for nobody).
    await handle.terminate('model history ended').catch(() => undefined);
    lane.release(workflowId);
  }
}
