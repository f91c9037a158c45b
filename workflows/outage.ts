/**
 * One outage, start to end: detect → open → escalate ⟂ fail over → fail back → resolve.
 * The workflow holds only orchestration; every effect is an activity (workflows/activities.ts).
 * Workflow id: `outage:<routeId>` or `outage:dep:<dependency>` (routes grouped by the
 * dependency they share); started by the sweeper with signalWithStart(routeTransition).
 * The rules it keeps and the invariants tested against it: docs/outage-lifecycle.md.
 */
import { allHandlersFinished, condition, continueAsNew, currentUpdateInfo, patched, setHandler, sleep, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Actor, NotificationKind, NotifyInput, Severity } from '../activities/outage-contract';
import type { GeneratePacketInput } from '../activities/packets';
import type { RouteContext } from '../activities/route-directory';
import { notifier, packets, probes, store } from './activities';
import { runEscalation } from './escalation';
import { failbackDue, failOver, offPrimary, startFailbacks } from './failover';
import { historyIsLong } from './history-length';
import { setPhase, writeIncident } from './incident-writer';
import { legacyOutageV1 } from './legacy/outage-v1';
import {
  acknowledge,
  approveFailback,
  outageState,
  requestFailover,
  resolve,
  routeTransition,
  routeTransitions,
  type AckResult,
  type FailbackResult,
  type FailoverResult,
  type OutageRouteState,
  type OutageState,
  type ResolveResult,
  type RouteTransitionSignal,
} from './messages';

export interface OutageInput {
  /** `route:<id>` or `dep:<dependency>`; the workflow id is `outage:<key>` (route ids without the prefix). */
  key: string;
  dependency?: string;
  /** Confirmation probes before paging (attempts, ms apart); unset: the route class's. */
  confirm?: { attempts: number; intervalMs: number };
  /** How often the primary path is checked while failed over. */
  failbackCheckMs?: number;
  /** Recovered routes must stay so this long before the outage resolves itself (flapping: at least 10 min). */
  stableForMs?: number;
  /** Continue as new once the history is this long (Temporal also suggests it on its own). */
  historyLimit?: number;
  /** Set by continueAsNew of a long outage: the outage so far, picked up where it was. */
  carried?: Carried;
  /** Transitions a finished run under this workflow id had not read: they start this outage. */
  pending?: RouteTransitionSignal[];
}

/** A notification or the incident packet, delivered in the background by its idempotency key. */
type Delivery = { notice: NotifyInput } | { packet: GeneratePacketInput };

interface Carried {
  state: OutageState;
  contexts: [string, RouteContext][];
  inbox: RouteTransitionSignal[];
  resolvedBy?: Outage['resolvedBy'];
  revision?: number;
}

/** What a running outage knows; each activity it calls gets what it needs from here. */
export interface Outage {
  input: OutageInput;
  state: OutageState;
  contexts: Map<string, RouteContext>;
  routes: Map<string, OutageRouteState>;
  /** Transitions not yet handled, in arrival order. */
  inbox: RouteTransitionSignal[];
  /** A person asked to resolve (the outage resolves once every route is on its primary path). */
  resolvedBy?: { actor: Actor; note?: string };
  /** Routes whose fail-back a person approved (approval policies). */
  failbackApproved: Set<string>;
  /** Routes whose fail-back a person asked to attempt now, with the request's tag. */
  failbackNow: Map<string, string>;
  /** Fail-back loops running, by route. */
  failbacks: Map<string, Promise<void>>;
  /** Routes whose fail-back executor runs now: a fail-over of the route waits for it. */
  failingBack: Set<string>;
  /** Failback checks started, and whose callers have gone on (failover.ts, checkInTurn). */
  checks: { started: number; resumed: number };
  /** Failback checks wait while a long history waits for an executor to continue as new (failover.ts). */
  checksWaitForCarryOn: boolean;
  /** A resend of a person's request gets its recorded answer (rule 8; answerOnce). */
  answersKept: boolean;
  /** An outage that may end ends rather than continuing as new first (rule 7; runUntilResolved). */
  endsBeforeCarryingOn: boolean;
  /** A resolve request wakes the main loop, like a transition (rule 7; runUntilResolved). */
  wakesOnResolve: boolean;
  /** The incident id is known only once its record exists and the phase says what it is (openRecord). */
  knownWhenOpen: boolean;
  /** Fail-over and fail-back attempts and escalation steps in progress: the run never ends or continues as new under one. */
  executing: number;
  /** Set while the run hands over to a new one: no executor starts, operator requests wait for the new run. */
  closing: boolean;
  /** Notifications and the packet still being delivered, by key: the workflow never waits on chat, except before it ends. */
  undelivered: Map<string, Delivery>;
  /** The incident document's writes, one at a time (incident-writer.ts). */
  writes: { chain: Promise<void>; revision: number };
  notify(kind: NotificationKind, text: string, opts?: { targets?: string[]; page?: boolean; key?: string }): Promise<void>;
  timeline(kind: string, message: string, opts?: { actor?: Actor; data?: Record<string, unknown>; key?: string }): Promise<void>;
  nowIso(): string;
}

/**
 * Patches the code asks for later, asked once at the start too so that a new run records their
 * markers in its first task. A patch first asked for in a workflow task that also completes an
 * update was ordered differently live and in replay (TMPRL1100: the marker's search-attribute
 * upsert against the update's completion; the model test, a worker that caches nothing). Behind
 * a patch of its own: runs started before record some of these markers in their first task, in
 * another order.
 */
const LATER_PATCHES = ['escalation-step-holds-carry-on', 'escalation-timer-not-cancelled', 'failover-request-once', 'failover-strands-route', 'failback-checks-in-turn', 'failback-request-once', 'failback-moves-unverified'];

const OPENING = new Set<RouteTransitionSignal['kind']>(['down', 'degraded', 'flapping', 'telemetry_gap']);
const RECOVERY = new Set<RouteTransitionSignal['kind']>(['recovered', 'cleared', 'telemetry_restored']);
const SYSTEM_ACTOR = (policyId: string): Actor => ({ platform: 'system', id: 'failover-policy', name: policyId });

export async function outageWorkflow(input: OutageInput): Promise<OutageState> {
  // Outages started before this version finish on the code they started with.
  if (!patched('lifecycle-2')) return legacyOutageV1(input);
  if (patched('later-patches-first')) for (const id of LATER_PATCHES) patched(id);
  const outage = createOutage(input);
  registerHandlers(outage);
  if (input.carried) restore(outage, input.carried);
  else {
    outage.inbox.push(...(input.pending ?? []));
    if (!(await detectAndOpen(outage))) return endRun(outage);
  }
  await runUntilResolved(outage);
  await finish(outage);
  return endRun(outage);
}

/**
 * detect → open. Returns false when the first opening transition was a blip (its primary path
 * answered the confirmation probes): recorded as closed_transient, nobody paged.
 */
async function detectAndOpen(outage: Outage): Promise<boolean> {
  const { state } = outage;
  await condition(() => outage.inbox.some((t) => OPENING.has(t.kind)));
  // Transitions before the first opening one concern routes with no open outage; what came
  // with it or after (other routes of the dependency) is handled once the incident exists.
  const firstIndex = outage.inbox.findIndex((t) => OPENING.has(t.kind));
  const first = outage.inbox[firstIndex]!;
  outage.inbox.splice(0, firstIndex + 1);
  state.trigger = first.kind;
  state.detectedAt = first.at;
  await addRoutes(outage, [first]);
  const ctx = outage.contexts.get(first.routeId)!;

  if (first.kind === 'down' && !(await confirmDown(outage, ctx))) {
    await openRecord(outage, first.routeId, first, 'info', 'closed_transient');
    await outage.timeline('closed_transient', `${first.routeId} recovered during confirmation: transient, nobody paged`);
    state.phase = 'closed_transient';
    return false;
  }

  const maintenance = inMaintenance(ctx, outage.nowIso());
  const severity: Severity = maintenance ? 'info' : severityOf(first.kind, ctx.route.primary);
  await openRecord(outage, outage.input.dependency ?? first.routeId, first, severity, 'open');
  state.phase = 'open';
  state.openedAt = outage.nowIso();
  await outage.timeline('detected', `${first.routeId}: ${first.kind} (${first.detail ?? first.taxonomy.join(', ')})`, { data: { score: first.score, cause: first.cause } });
  await outage.notify(
    maintenance ? 'maintenance' : first.kind === 'flapping' ? 'flapping' : first.kind === 'telemetry_gap' ? 'telemetry_gap' : 'opened',
    maintenance ? `${first.routeId} ${first.kind} during maintenance (${maintenance.reason}): recorded, not paged` : `${first.routeId} is ${first.kind}: ${first.detail ?? first.taxonomy.join(', ')}`,
    { page: !maintenance, targets: openingTargets(ctx), key: `${state.incidentId}:opened` },
  );
  // Flapping, telemetry gaps and maintenance are reported once; they do not escalate or fail over.
  state.paged = !maintenance;
  state.actionable = !maintenance && (first.kind === 'down' || first.kind === 'degraded');
  if (state.actionable) {
    void runEscalation(outage);
    if (first.kind === 'down') startAutoFailover(outage, first.routeId);
  }
  return true;
}

/** A continued run: same incident, same routes; escalation and fail-backs pick up where they were. */
function restore(outage: Outage, carried: Carried): void {
  Object.assign(outage.state, carried.state);
  for (const [id, ctx] of carried.contexts) outage.contexts.set(id, ctx);
  for (const r of carried.state.routes) outage.routes.set(r.routeId, r);
  outage.inbox.push(...carried.inbox);
  outage.resolvedBy = carried.resolvedBy;
  outage.writes.revision = carried.revision ?? 0;
  if (outage.state.actionable && !outage.state.acknowledgedBy && !outage.resolvedBy) void runEscalation(outage);
}

function createOutage(input: OutageInput): Outage {
  const state: OutageState = { phase: 'detecting', routes: [], escalationLevel: 0, escalationStep: 0, pendingTimers: [], awaitingFailbackApproval: [], received: 0 };
  const outage: Outage = {
    input,
    state,
    contexts: new Map(),
    routes: new Map(),
    inbox: [],
    failbackApproved: new Set(),
    failbackNow: new Map(),
    failbacks: new Map(),
    failingBack: new Set(),
    checks: { started: 0, resumed: 0 },
    checksWaitForCarryOn: patched('checks-wait-for-carry-on'),
    // Asked at the start: a patch marker in an update handler that answers at once was ordered
    // differently live and in replay (TMPRL1100, the model test with a worker that caches nothing).
    answersKept: patched('request-answered-once'),
    endsBeforeCarryingOn: patched('end-before-carry-on'),
    wakesOnResolve: patched('loop-wakes-on-resolve'),
    knownWhenOpen: patched('incident-known-when-open'),
    executing: 0,
    closing: false,
    undelivered: new Map(),
    writes: { chain: Promise.resolve(), revision: 0 },
    nowIso: () => new Date().toISOString(),
    notify(kind, text, opts = {}) {
      if (!state.incidentId) return Promise.resolve();
      const notice: NotifyInput = {
        idempotencyKey: opts.key ?? `${state.incidentId}:${kind}:${uuid4()}`,
        incidentId: state.incidentId,
        kind,
        severity: state.severity ?? 'info',
        routes: [...outage.routes.keys()],
        targets: opts.targets ?? [],
        title: `[${(state.severity ?? 'info').toUpperCase()}] ${state.incidentId}`,
        text,
        page: opts.page ?? true,
      };
      deliver(outage, { notice });
      return Promise.resolve();
    },
    async timeline(kind, message, opts = {}) {
      if (!state.incidentId) return;
      await store.appendTimeline({ incidentId: state.incidentId, eventId: opts.key ?? `${kind}:${uuid4()}`, at: outage.nowIso(), kind, message, actor: opts.actor, data: opts.data });
    },
  };
  return outage;
}

/** The tag of a person's request: the platform's request id, else this update's id. */
function requestTag(requestId: string | undefined): string {
  return `req-${requestId ?? currentUpdateInfo()?.id ?? uuid4()}`;
}

function registerHandlers(outage: Outage): void {
  const { state } = outage;
  const isOpen = () => state.incidentId !== undefined && state.phase !== 'resolved' && state.phase !== 'closed_transient';
  // Update validators: refuse (before anything is recorded) when there is no open incident.
  const mustBeOpen = (..._args: unknown[]) => {
    if (!isOpen()) throw new Error('this outage is not open');
  };
  const mustBeOpenAndSteady = (..._args: unknown[]) => {
    mustBeOpen();
    if (outage.closing) throw new Error('this outage is moving to a fresh history: try again in a few seconds');
  };
  setHandler(routeTransition, (t) => {
    outage.inbox.push(t);
    state.received = (state.received ?? 0) + 1;
  });
  setHandler(routeTransitions, (ts) => {
    outage.inbox.push(...ts);
    state.received = (state.received ?? 0) + ts.length;
  });
  setHandler(outageState, () => ({ ...state, routes: [...outage.routes.values()] }));

  setHandler(
    acknowledge,
    async ({ actor, note }): Promise<AckResult> => {
      if (state.acknowledgedBy) return { result: 'already_acknowledged', by: state.acknowledgedBy };
      state.acknowledgedBy = actor;
      state.acknowledgedAt = outage.nowIso();
      if (state.phase === 'open') state.phase = 'acknowledged';
      await writeIncident(outage, { acknowledgedAt: state.acknowledgedAt, acknowledgedBy: actor, state: state.phase });
      await store.appendAuditEntry({
        idempotencyKey: `ack:${state.incidentId}`,
        at: new Date(state.acknowledgedAt),
        actor,
        action: 'incident.acknowledge',
        target: { kind: 'incident', id: state.incidentId! },
        incidentId: state.incidentId,
        outcome: 'ok',
        after: { state: state.phase, note },
      });
      await outage.timeline('acknowledged', `acknowledged by ${actor.name ?? actor.id} (${actor.platform})${note ? `: ${note}` : ''}`, { actor, key: 'acknowledged' });
      await outage.notify('acknowledged', `acknowledged by ${actor.name ?? actor.id}`, { page: false, key: `${state.incidentId}:acknowledged` });
      return { result: 'acknowledged', by: actor };
    },
    { validator: mustBeOpen },
  );

  setHandler(
    requestFailover,
    async ({ actor, routeId, pathId, requestId }): Promise<FailoverResult> => {
      const tag = requestTag(requestId);
      return answerOnce(outage, `failover:${tag}`, () => failOver(outage, routeId ?? [...outage.routes.keys()][0]!, actor, tag, pathId));
    },
    {
      // Refused before it is accepted: an error thrown by the handler itself would fail the workflow task.
      validator: ({ routeId }: { routeId?: string }) => {
        mustBeOpenAndSteady();
        if (routeId !== undefined && !outage.routes.has(routeId)) throw new Error(`route ${routeId} is not part of this outage`);
      },
    },
  );

  setHandler(
    approveFailback,
    ({ actor, requestId }): Promise<FailbackResult> => {
      const tag = requestTag(requestId);
      return answerOnce(outage, `failback:${tag}`, () => approveOrRetryFailback(outage, actor, tag));
    },
    { validator: mustBeOpenAndSteady },
  );

  setHandler(
    resolve,
    ({ actor, note }): ResolveResult => {
      if (outage.resolvedBy) return { result: 'already_resolved' };
      outage.resolvedBy = { actor, note };
      state.resolveRequestedBy = actor;
      const away = [...outage.routes.values()].filter((r) => offPrimary(outage, r)).map((r) => r.routeId);
      if (away.length === 0) return { result: 'resolved' };
      return {
        result: 'resolving',
        detail: `${away.join(', ')} ${away.length === 1 ? 'is' : 'are'} still on a backup path: the outage resolves once ${away.length === 1 ? 'it is' : 'they are'} back on the primary (fail-back as soon as the primary has been healthy for the policy's delay; this counts as its approval)`,
      };
    },
    { validator: mustBeOpen },
  );
}

/** A person's `failback`: approves the fail-backs waiting for approval, else attempts the failed ones again now. */
async function approveOrRetryFailback(outage: Outage, actor: Actor, tag: string): Promise<FailbackResult> {
  const { state } = outage;
  const awaiting = state.awaitingFailbackApproval;
  if (awaiting.length > 0) {
    for (const r of awaiting) outage.failbackApproved.add(r);
    state.awaitingFailbackApproval = [];
    await outage.timeline('failback_approved', `failback of ${awaiting.join(', ')} approved by ${actor.name ?? actor.id}`, { actor, key: `failback_approved:${tag}` });
    return { result: 'approved', routes: awaiting };
  }
  // A fail-back whose last attempt failed, or of a route a failed fail-over left off its primary: a person's request is a new attempt, now.
  const failed = [...outage.routes.values()].filter((r) => outage.failbacks.has(r.routeId) && ((r.failover === 'done' && (r.failbackAttempts ?? 0) > 0) || r.failover === 'failed'));
  if (failed.length === 0) return { result: 'nothing_to_approve', routes: [] };
  // A resend of a request that already started an attempt is that attempt, not another under the same keys.
  const once = patched('failback-request-once');
  for (const r of failed) {
    if (once && r.failbackRequests?.includes(tag)) continue;
    outage.failbackNow.set(r.routeId, tag);
    if (once) r.failbackRequests = [...(r.failbackRequests ?? []).slice(-9), tag];
  }
  await outage.timeline('failback_requested', `failback of ${failed.map((r) => r.routeId).join(', ')} requested by ${actor.name ?? actor.id}: attempted again now`, { actor, key: `failback_requested:${tag}` });
  return { result: 'retrying', routes: failed.map((r) => r.routeId) };
}

/**
 * Rule 8: a resend of a person's request (same platform request id, so same tag) gets the answer
 * the request got and does nothing again — also one that ran nothing, e.g. while another fail-over
 * was running. Temporal's update-id dedup covers a resend only within one run; this memo is
 * carried over continue-as-new.
 */
function answerOnce<T extends FailoverResult | FailbackResult>(outage: Outage, key: string, act: () => Promise<T>): Promise<T> {
  const previous = outage.state.answered?.find((a) => a.key === key);
  // Outages started before this rule keep the old path, so that their histories replay.
  if (previous && outage.answersKept) return Promise.resolve(previous.answer as T);
  // The handler answers with act's own promise, so its answer is sent in the same order as before this rule.
  const answering = act();
  answering.then(
    (answer) => {
      outage.state.answered = [...(outage.state.answered ?? []).slice(-19), { key, answer }];
    },
    () => undefined,
  );
  return answering;
}

/** Adds routes new to this outage (one activity per 200: a dependency can bring hundreds at once). */
async function addRoutes(outage: Outage, transitions: RouteTransitionSignal[]): Promise<void> {
  const fresh = [...new Map(transitions.filter((t) => !outage.routes.has(t.routeId)).map((t) => [t.routeId, t])).values()];
  const chunks = Array.from({ length: Math.ceil(fresh.length / 200) }, (_, i) => fresh.slice(i * 200, i * 200 + 200));
  const loaded = await Promise.all(chunks.map((chunk) => store.loadRouteContexts(chunk.map((t) => t.routeId))));
  chunks.forEach((chunk, c) =>
    chunk.forEach((t, j) => {
      const ctx = loaded[c]![j]!;
      outage.contexts.set(t.routeId, ctx);
      outage.routes.set(t.routeId, { routeId: t.routeId, health: healthOf(t), activePath: ctx.paths.find((p) => p.role === 'primary')?.id, failover: 'none' });
    }),
  );
}

/** A route's health as an opening transition leaves it. */
function healthOf(t: RouteTransitionSignal): OutageRouteState['health'] {
  if (t.kind === 'telemetry_gap') return 'unknown';
  return t.status === 'unknown' || t.status === 'up' ? 'down' : t.status;
}

async function confirmDown(outage: Outage, ctx: RouteContext): Promise<boolean> {
  const { attempts, intervalMs } = outage.input.confirm ?? ctx.routeClass.confirm;
  const primary = ctx.paths.find((p) => p.role === 'primary')!;
  // attempts 0: the sweeper's debounce is confirmation enough.
  for (let i = 0; i < attempts; i++) {
    const result = await probes.verifyPath({ routeId: ctx.route.id, pathId: primary.id });
    if (result.ok) return false;
    if (i + 1 < attempts) await sleep(intervalMs);
  }
  return true;
}

/**
 * Creates the incident record. The id is the outage's from then on, with the phase the record
 * says: a person's request is refused until then (isOpen), never handled against an incident
 * half made — an acknowledgement during a blip's record wrote `detecting` over its
 * `closed_transient` (the model test, seed 1796667859 path 2974). Runs started before keep the
 * id from before the record.
 */
async function openRecord(outage: Outage, key: string, first: RouteTransitionSignal, severity: Severity, state: 'open' | 'closed_transient'): Promise<void> {
  const id = incidentId(key, first.at);
  if (!outage.knownWhenOpen) outage.state.incidentId = id;
  outage.state.severity = severity;
  await store.openIncident({
    incidentId: id,
    workflowId: workflowInfo().workflowId,
    routes: [...outage.routes.keys()],
    dependency: outage.input.dependency,
    severity,
    state,
    trigger: first.kind,
    detectedAt: first.at,
    activePath: outage.routes.get(first.routeId)?.activePath,
  });
  if (!outage.knownWhenOpen) return;
  outage.state.incidentId = id;
  outage.state.phase = state;
}

/** Fails a route over by policy: each automatic attempt is numbered, so a later one (the route down again after a fail-back) runs anew. */
function startAutoFailover(outage: Outage, routeId: string): void {
  const policy = outage.contexts.get(routeId)?.failoverPolicy;
  const route = outage.routes.get(routeId)!;
  if (policy?.mode !== 'automatic' || route.failover !== 'none') return;
  route.autoFailovers = (route.autoFailovers ?? 0) + 1;
  void failOver(outage, routeId, SYSTEM_ACTOR(policy.id), `auto-${route.autoFailovers}`);
}

/**
 * Handles transitions, fail-backs and the history limit until the outage may end: every route
 * back on its primary path, and either recovered and stable for `stableForMs`, or a person
 * asked to resolve.
 */
async function runUntilResolved(outage: Outage): Promise<void> {
  const { state } = outage;
  const baseStable = outage.input.stableForMs ?? 120_000;
  const stableMs = () => (state.trigger === 'flapping' || state.flapping ? Math.max(baseStable, 600_000) : baseStable);
  const allOnPrimary = () => ![...outage.routes.values()].some((r) => offPrimary(outage, r));
  const mayEnd = () => allOnPrimary() && (outage.resolvedBy !== undefined || allRecovered(outage));
  const newInput = () => outage.inbox.length > 0 || outage.resolvedBy !== undefined;
  // A resolve request the loop has not yet run for wakes it, like a transition: a request handled
  // in the task after a transition's (one that completed with no commands) was handled live in one
  // activation with the transition, in replay in the next, and only a loop that runs for each
  // alike gives the same commands either way (rule 7).
  let resolveSeen = false;
  const resolveUnseen = () => outage.wakesOnResolve && outage.resolvedBy !== undefined && !resolveSeen;
  for (;;) {
    await condition(() => outage.inbox.length > 0 || mayEnd() || anyFailbackDue(outage) || mustCarryOn(outage) || resolveUnseen());
    resolveSeen = outage.resolvedBy !== undefined;
    // An outage that may end ends here, whatever the history's length: a resolve request can be
    // handled before or after the loop resumes from the await below that it lands next to (live,
    // a worker that caches nothing, handled it first; replay after), and only a decision that
    // does not depend on which came first replays (rule 7).
    if (mustCarryOn(outage) && !(outage.endsBeforeCarryingOn && mayEnd())) await carryOn(outage);
    if (outage.inbox.length > 0) await handleTransitions(outage, outage.inbox.splice(0));
    if (anyFailbackDue(outage)) startFailbacks(outage);
    // The incident as a whole is recovering once every route is up (or a person asked to resolve) and some still has to fail back.
    if ((allRecovered(outage) || outage.resolvedBy) && !allOnPrimary()) await setPhase(outage, 'recovering');
    if (!mayEnd()) continue;
    if (outage.resolvedBy) return;
    state.pendingTimers = [{ name: 'resolve when stable', firesAt: new Date(new Date(outage.nowIso()).getTime() + stableMs()).toISOString() }];
    // A person's fail-over during the wait moves a route off its primary: not stable any more.
    if (!(await condition(() => newInput() || !allOnPrimary(), stableMs()))) return;
  }
}

/** Some route's fail-back loop should start (failbackDue). */
function anyFailbackDue(outage: Outage): boolean {
  return [...outage.routes.values()].some((r) => failbackDue(outage, r));
}

/** The history is long (Temporal suggests a new run, or past the input's limit) and no executor is running. */
function mustCarryOn(outage: Outage): boolean {
  return outage.executing === 0 && historyIsLong(outage);
}

function allRecovered(outage: Outage): boolean {
  return outage.routes.size > 0 && [...outage.routes.values()].every((r) => r.health === 'up');
}

/** Applies transitions in arrival order: routes of the dependency that join, then each route's health. */
async function handleTransitions(outage: Outage, transitions: RouteTransitionSignal[]): Promise<void> {
  const { state } = outage;
  // A route not yet in this outage joins at its first opening transition; anything of it before that is moot.
  const joinAt = new Map<string, number>();
  transitions.forEach((t, i) => {
    if (!outage.routes.has(t.routeId) && !joinAt.has(t.routeId) && OPENING.has(t.kind)) joinAt.set(t.routeId, i);
  });
  if (joinAt.size > 0) {
    const joining = [...joinAt.values()].map((i) => transitions[i]!);
    // Late routes of the same dependency join this incident without a new page.
    await addRoutes(outage, joining);
    const ids = [...joinAt.keys()];
    await writeIncident(outage, { routes: [...outage.routes.keys()] });
    await outage.timeline('routes_attached', `${ids.length} route(s) joined this incident: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}`, { data: { routes: ids } });
    await outage.notify('routes_attached', `${ids.length} more route(s) affected (${outage.routes.size} in all)`, { page: false });
    await pageFirstOutsideMaintenance(outage, joining);
    if (state.actionable) for (const t of joining) if (t.kind === 'down') startAutoFailover(outage, t.routeId);
  }
  for (const [i, t] of transitions.entries()) {
    const route = outage.routes.get(t.routeId);
    const joined = joinAt.get(t.routeId);
    if (!route || (joined !== undefined && i <= joined)) continue;
    if (RECOVERY.has(t.kind)) {
      route.health = 'up';
      await outage.timeline('recovered', `${t.routeId} recovered`, { data: { score: t.score } });
    } else if (t.kind === 'down' || t.kind === 'degraded' || t.kind === 'telemetry_gap') {
      route.health = healthOf(t);
      // Down again on its primary path (after a fail-back): the policy fails it over again.
      if (state.actionable && t.kind === 'down') startAutoFailover(outage, t.routeId);
    } else if (t.kind === 'flapping') {
      route.health = healthOf(t);
      if (!state.flapping && state.trigger !== 'flapping') await markFlapping(outage, t);
    }
  }
}

/**
 * An outage opened inside a maintenance window paged nobody; a route outside any window that
 * joins it is a real outage: paged now (its own opening notification), escalated and failed over like one.
 */
async function pageFirstOutsideMaintenance(outage: Outage, joining: RouteTransitionSignal[]): Promise<void> {
  const { state } = outage;
  const now = outage.nowIso();
  const t = joining.find((j) => !inMaintenance(outage.contexts.get(j.routeId)!, now));
  if (state.paged || !t) return;
  const ctx = outage.contexts.get(t.routeId)!;
  state.paged = true;
  state.severity = severityOf(t.kind, ctx.route.primary);
  state.actionable = t.kind === 'down' || t.kind === 'degraded';
  await writeIncident(outage, { severity: state.severity });
  await outage.notify(t.kind === 'flapping' ? 'flapping' : t.kind === 'telemetry_gap' ? 'telemetry_gap' : 'opened', `${t.routeId} is ${t.kind} (outside this outage's maintenance window): ${t.detail ?? t.taxonomy.join(', ')}`, {
    targets: openingTargets(ctx),
    key: `${state.incidentId}:opened:${t.routeId}`,
  });
  if (state.actionable) {
    state.openedAt = now;
    void runEscalation(outage);
  }
}

/**
 * A route of an open outage started flapping: said once (no page: whoever was paged for the
 * outage is still on it), and the outage only resolves itself after 10 quiet minutes, so
 * each flap stays in this incident instead of opening a new one.
 */
async function markFlapping(outage: Outage, t: RouteTransitionSignal): Promise<void> {
  outage.state.flapping = true;
  await outage.timeline('flapping', `${t.routeId} is flapping: this incident stays open until it has been stable for 10 minutes`, { key: 'flapping' });
  await outage.notify('flapping', `${t.routeId} is flapping (down again and again): the incident stays open until the route is stable for 10 minutes`, {
    page: false,
    key: `${outage.state.incidentId}:flapping`,
  });
}

/**
 * Long incidents start a fresh history with the same state, once nothing is in flight: no
 * executor (new ones wait: `closing`), no notification, no update handler.
 */
async function carryOn(outage: Outage): Promise<void> {
  await condition(() => outage.undelivered.size === 0);
  outage.closing = true;
  await condition(() => outage.executing === 0 && allHandlersFinished());
  // A notification started meanwhile (an executor's outcome): deliver it first, then try again.
  if (outage.undelivered.size > 0) {
    outage.closing = false;
    return;
  }
  const state = { ...outage.state, routes: [...outage.routes.values()] };
  const carried: Carried = { state, contexts: [...outage.contexts], inbox: outage.inbox.splice(0), resolvedBy: outage.resolvedBy, revision: outage.writes.revision };
  await continueAsNew<typeof outageWorkflow>({ ...freshInput(outage.input), carried });
}

async function finish(outage: Outage): Promise<void> {
  const { state } = outage;
  const at = outage.nowIso();
  const by = outage.resolvedBy;
  const failedBack = [...outage.routes.values()].some((r) => (r.failbackAttempts ?? 0) > 0);
  const summary = by
    ? `resolved by ${by.actor.name ?? by.actor.id}${by.note ? `: ${by.note}` : ''}`
    : `all ${outage.routes.size} route(s) recovered${failedBack ? ' and back on their primary paths' : ''}`;
  const mttaSec = secondsSince(state.detectedAt, state.acknowledgedAt);
  const mttrSec = secondsSince(state.detectedAt, at);
  state.pendingTimers = [];
  await Promise.all([
    setPhase(outage, 'resolved', { resolvedAt: at, summary, mttrSec, ...(mttaSec === undefined ? {} : { mttaSec }) }),
    outage.timeline('resolved', summary, { actor: by?.actor, key: 'resolved' }),
    by &&
      store.appendAuditEntry({
        idempotencyKey: `resolve:${state.incidentId}`,
        at: new Date(at),
        actor: by.actor,
        action: 'incident.resolve',
        target: { kind: 'incident', id: state.incidentId! },
        incidentId: state.incidentId,
        outcome: 'ok',
        after: { state: 'resolved', note: by.note },
      }),
  ]);
  await outage.notify('resolved', `${summary}. MTTA ${fmt(mttaSec)}, MTTR ${fmt(mttrSec)}`, { key: `${state.incidentId}:resolved` });
  // The incident packet: printed, stored and shared in the background, like a notification.
  deliver(outage, { packet: { incidentId: state.incidentId!, idempotencyKey: `${state.incidentId}:packet:resolved` } });
}

/**
 * The end of a run. Everything in flight settles first (while a chat platform is down that can
 * take minutes, and a new outage waits for it); then, in the same workflow task as the decision
 * to end, the inbox is read once more: an opening transition that arrived meanwhile starts a new
 * outage under this workflow id instead of being lost with this run.
 */
async function endRun(outage: Outage): Promise<OutageState> {
  await condition(() => outage.undelivered.size === 0 && outage.executing === 0 && allHandlersFinished());
  const unread = outage.inbox.splice(0);
  if (unread.some((t) => OPENING.has(t.kind))) await continueAsNew<typeof outageWorkflow>({ ...freshInput(outage.input), pending: unread });
  return { ...outage.state, routes: [...outage.routes.values()] };
}

/** This run's input without what belonged to this outage only. */
function freshInput({ carried: _carried, pending: _pending, ...input }: OutageInput): OutageInput {
  return input;
}

/**
 * Delivers a notification (escalation and fail-over never wait on chat) or the packet in the
 * background; one that finally fails is on its incident's timeline. Kept by key until settled:
 * a run does not end or continue as new before.
 */
function deliver(outage: Outage, delivery: Delivery): void {
  const failed = (incidentId: string, kind: string, eventId: string, message: string) =>
    store.appendTimeline({ incidentId, eventId, at: outage.nowIso(), kind, message }).then(() => undefined);
  const sent =
    'notice' in delivery
      ? notifier.notify(delivery.notice).then(
          () => undefined,
          (err: unknown) => failed(delivery.notice.incidentId, 'notification_failed', `notification_failed:${delivery.notice.idempotencyKey}`, `notification ${delivery.notice.kind} could not be delivered: ${(err as Error).message}`),
        )
      : packets.generateIncidentPacket(delivery.packet).then(
          () => undefined,
          (err: unknown) => failed(delivery.packet.incidentId, 'packet_failed', 'packet_failed', `incident packet failed: ${(err as Error).message}`),
        );
  const key = 'notice' in delivery ? delivery.notice.idempotencyKey : delivery.packet.idempotencyKey;
  outage.undelivered.set(key, delivery);
  void sent.finally(() => outage.undelivered.delete(key));
}

function secondsSince(fromIso: string | undefined, toIso: string | undefined): number | undefined {
  if (!fromIso || !toIso) return undefined;
  return Math.max(0, (new Date(toIso).getTime() - new Date(fromIso).getTime()) / 1000);
}

const fmt = (sec?: number) => (sec === undefined ? '—' : sec < 120 ? `${Math.round(sec)} s` : `${Math.round(sec / 60)} min`);

/** DESIGN.md's trigger matrix. */
export function severityOf(kind: RouteTransitionSignal['kind'], primary: boolean): Severity {
  if (kind === 'down') return primary ? 'critical' : 'major';
  if (kind === 'degraded') return 'major';
  return 'warning';
}

/** The escalation policy's first level, when it is due at once, is who the opening page goes to. */
function openingTargets(ctx: RouteContext): string[] {
  const first = ctx.escalationPolicy?.levels[0];
  return first && first.afterSec === 0 ? first.notify : [];
}

function inMaintenance(ctx: RouteContext, nowIso: string): { reason: string } | undefined {
  return ctx.maintenance.find((w) => w.start <= nowIso && nowIso < w.end);
}

/** `inc-<yyyymmdd>-<key>-<4 hex>`: readable, unique, and short enough for a chat channel name. */
function incidentId(key: string, atIso: string): string {
  return `inc-${atIso.slice(0, 10).replaceAll('-', '')}-${key.slice(0, 40)}-${uuid4().slice(0, 4)}`;
}
