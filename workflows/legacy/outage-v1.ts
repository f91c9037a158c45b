/**
 * FROZEN. The outage workflow as it ran before `patched('lifecycle-2')` (docs/outage-lifecycle.md),
 * kept unchanged so that outages started before that upgrade replay and finish on the code
 * they started with (test/workflows/histories/v1/ replays them). A v1 run that continues as
 * new carries its state into the current workflow. Delete this folder, its histories and the
 * branch in workflows/outage.ts once no outage started before the upgrade is running.
 *
 * One outage, start to end: detect → open → escalate ⟂ fail over → fail back → resolve.
 * The workflow holds only orchestration; every effect is an activity (workflows/activities.ts).
 * Workflow id: `outage:<routeId>` or `outage:dep:<dependency>` (routes grouped by the
 * dependency they share); started by the sweeper with signalWithStart(routeTransition).
 */
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, sleep, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Actor, NotificationKind, Severity } from '../../activities/outage-contract';
import type { RouteContext } from '../../activities/route-directory';
import { notifier, packets, probes, store } from '../activities';
import { runEscalation } from './escalation-v1';
import { failBack, failOver } from './failover-v1';
import {
  acknowledge,
  approveFailback,
  outageState,
  requestFailover,
  resolve,
  routeTransition,
  routeTransitions,
  type AckResult,
  type FailoverResult,
  type OutageRouteState,
  type OutageState,
  type RouteTransitionSignal,
} from '../messages';

export interface OutageInput {
  /** `route:<id>` or `dep:<dependency>`; the workflow id is `outage:<key>` (route ids without the prefix). */
  key: string;
  dependency?: string;
  /** Confirmation probes before paging (attempts, ms apart). */
  confirm?: { attempts: number; intervalMs: number };
  /** How often the primary path is checked while failed over. */
  failbackCheckMs?: number;
  /** Recovered routes must stay so this long before the outage resolves itself (flapping: at least 10 min). */
  stableForMs?: number;
  /** Continue as new once the history is this long (Temporal also suggests it on its own). */
  historyLimit?: number;
  /** Set by continueAsNew: the outage so far, picked up where it was. */
  carried?: { state: OutageState; contexts: [string, RouteContext][]; inbox: RouteTransitionSignal[] };
}

/** What a running outage knows; each activity it calls gets what it needs from here. */
export interface Outage {
  input: OutageInput;
  state: OutageState;
  contexts: Map<string, RouteContext>;
  routes: Map<string, OutageRouteState>;
  /** Transitions not yet handled, in arrival order. */
  inbox: RouteTransitionSignal[];
  resolvedBy?: { actor: Actor; note?: string };
  /** Set by the approveFailback update; the failback loop consumes it. */
  failbackApproved: boolean;
  /** Notifications still being delivered: the workflow never waits on chat, except before it ends. */
  deliveries: Set<Promise<void>>;
  notify(kind: NotificationKind, text: string, opts?: { targets?: string[]; page?: boolean; key?: string }): Promise<void>;
  timeline(kind: string, message: string, opts?: { actor?: Actor; data?: Record<string, unknown>; key?: string }): Promise<void>;
  nowIso(): string;
}

const PAGE_KINDS = new Set(['down', 'degraded', 'flapping', 'telemetry_gap']);

export async function legacyOutageV1(input: OutageInput): Promise<OutageState> {
  const outage = createOutage(input);
  const { state } = outage;
  registerHandlers(outage);
  if (input.carried) return resume(outage, input.carried);

  await condition(() => outage.inbox.some((t) => PAGE_KINDS.has(t.kind)));
  // The first opening transition opens the outage; everything else that came with it
  // (other routes of the dependency) is handled once the incident exists.
  const firstIndex = outage.inbox.findIndex((t) => PAGE_KINDS.has(t.kind));
  const first = outage.inbox[firstIndex]!;
  outage.inbox.splice(0, firstIndex + 1);
  state.trigger = first.kind;
  await addRoutes(outage, [first]);

  // detect: a down route is probed again before anyone is paged; a blip closes quietly.
  if (first.kind === 'down' && !(await confirmDown(outage, first.routeId))) {
    state.incidentId = incidentId(first.routeId, first.at);
    await openRecord(outage, first, 'info', 'closed_transient');
    await outage.timeline('closed_transient', `${first.routeId} recovered during confirmation: transient, nobody paged`);
    state.phase = 'closed_transient';
    await condition(allHandlersFinished);
    return state;
  }

  const ctx = outage.contexts.get(first.routeId)!;
  const maintenance = inMaintenance(ctx, outage.nowIso());
  const severity: Severity = maintenance ? 'info' : severityOf(first.kind, ctx.route.primary);
  state.incidentId = incidentId(input.dependency ?? first.routeId, first.at);
  await openRecord(outage, first, severity, 'open');
  state.phase = 'open';
  state.openedAt = outage.nowIso();
  await outage.timeline('detected', `${first.routeId}: ${first.kind} (${first.detail ?? first.taxonomy.join(', ')})`, { data: { score: first.score, cause: first.cause } });
  await outage.notify(
    maintenance ? 'maintenance' : first.kind === 'flapping' ? 'flapping' : first.kind === 'telemetry_gap' ? 'telemetry_gap' : 'opened',
    maintenance ? `${first.routeId} ${first.kind} during maintenance (${maintenance.reason}): recorded, not paged` : `${first.routeId} is ${first.kind}: ${first.detail ?? first.taxonomy.join(', ')}`,
    { page: !maintenance, targets: openingTargets(ctx), key: `${state.incidentId}:opened` },
  );

  // Flapping, telemetry gaps and maintenance are reported once; they do not escalate or fail over.
  state.actionable = !maintenance && (first.kind === 'down' || first.kind === 'degraded');
  if (state.actionable) {
    void runEscalation(outage);
    if (first.kind === 'down') void autoFailover(outage, first.routeId);
  }
  await runUntilResolved(outage);
  await finish(outage);
  return state;
}

/** A continued run: same incident, same routes; escalation picks up at its next level. */
async function resume(outage: Outage, carried: NonNullable<OutageInput['carried']>): Promise<OutageState> {
  Object.assign(outage.state, carried.state);
  for (const [id, ctx] of carried.contexts) outage.contexts.set(id, ctx);
  for (const r of carried.state.routes) outage.routes.set(r.routeId, r);
  outage.inbox.push(...carried.inbox);
  if (outage.state.actionable && !outage.state.acknowledgedBy) void runEscalation(outage);
  await runUntilResolved(outage);
  await finish(outage);
  return outage.state;
}

function createOutage(input: OutageInput): Outage {
  const state: OutageState = { phase: 'detecting', routes: [], escalationLevel: 0, escalationStep: 0, pendingTimers: [], awaitingFailbackApproval: [] };
  const outage: Outage = {
    input,
    state,
    contexts: new Map(),
    routes: new Map(),
    inbox: [],
    failbackApproved: false,
    deliveries: new Set(),
    nowIso: () => new Date().toISOString(),
    notify(kind, text, opts = {}) {
      if (!state.incidentId) return Promise.resolve();
      const key = opts.key ?? `${state.incidentId}:${kind}:${uuid4()}`;
      const input = {
        idempotencyKey: key,
        incidentId: state.incidentId,
        kind,
        severity: state.severity ?? 'info',
        routes: [...outage.routes.keys()],
        targets: opts.targets ?? [],
        title: `[${(state.severity ?? 'info').toUpperCase()}] ${state.incidentId}`,
        text,
        page: opts.page ?? true,
      };
      // Delivered in the background: a chat outage (retried for minutes) must not hold up
      // escalation or fail-over. A delivery that finally fails is on the timeline.
      track(
        outage,
        notifier.notify(input).then(
          () => undefined,
          (err: unknown) => outage.timeline('notification_failed', `notification ${kind} could not be delivered: ${(err as Error).message}`),
        ),
      );
      return Promise.resolve();
    },
    async timeline(kind, message, opts = {}) {
      if (!state.incidentId) return;
      await store.appendTimeline({ incidentId: state.incidentId, eventId: opts.key ?? `${kind}:${uuid4()}`, at: outage.nowIso(), kind, message, actor: opts.actor, data: opts.data });
    },
  };
  return outage;
}

function registerHandlers(outage: Outage): void {
  const { state } = outage;
  // Update validators: refuse (before anything is recorded) when there is no open incident.
  const mustBeOpen = (..._args: unknown[]) => {
    if (state.phase === 'resolved' || state.phase === 'closed_transient' || state.incidentId === undefined) throw new Error('this outage is not open');
  };
  setHandler(routeTransition, (t) => void outage.inbox.push(t));
  setHandler(routeTransitions, (ts) => void outage.inbox.push(...ts));
  setHandler(outageState, () => ({ ...state, routes: [...outage.routes.values()] }));

  setHandler(
    acknowledge,
    async ({ actor, note }): Promise<AckResult> => {
      if (state.acknowledgedBy) return { result: 'already_acknowledged', by: state.acknowledgedBy };
      state.acknowledgedBy = actor;
      state.acknowledgedAt = outage.nowIso();
      if (state.phase === 'open') state.phase = 'acknowledged';
      await store.updateIncident({ incidentId: state.incidentId!, set: { acknowledgedAt: state.acknowledgedAt, acknowledgedBy: actor, state: state.phase } });
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
    async ({ actor, routeId, pathId }): Promise<FailoverResult> => {
      const target = routeId ?? [...outage.routes.keys()][0]!;
      if (!outage.routes.has(target)) throw new Error(`route ${target} is not part of this outage`);
      return failOver(outage, target, actor, pathId);
    },
    { validator: mustBeOpen },
  );

  setHandler(approveFailback, ({ actor }): { result: 'approved' | 'nothing_to_approve'; routes: string[] } => {
    if (state.awaitingFailbackApproval.length === 0) return { result: 'nothing_to_approve', routes: [] };
    const routes = state.awaitingFailbackApproval;
    state.awaitingFailbackApproval = [];
    void outage.timeline('failback_approved', `failback approved by ${actor.name ?? actor.id}`, { actor });
    outage.failbackApproved = true;
    return { result: 'approved', routes };
  });

  setHandler(
    resolve,
    ({ actor, note }): { result: 'resolved' | 'already_resolved' } => {
      if (outage.resolvedBy) return { result: 'already_resolved' };
      outage.resolvedBy = { actor, note };
      return { result: 'resolved' };
    },
    { validator: mustBeOpen },
  );
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
      outage.routes.set(t.routeId, { routeId: t.routeId, health: t.status, activePath: ctx.paths.find((p) => p.role === 'primary')?.id, failover: 'none' });
    }),
  );
}

async function confirmDown(outage: Outage, routeId: string): Promise<boolean> {
  const { attempts, intervalMs } = outage.input.confirm ?? { attempts: 2, intervalMs: 1000 };
  const primary = outage.contexts.get(routeId)!.paths.find((p) => p.role === 'primary')!;
  // attempts 0: the sweeper's debounce is confirmation enough (fast classes).
  for (let i = 0; i < attempts; i++) {
    const result = await probes.verifyPath({ routeId, pathId: primary.id });
    if (result.ok) return false;
    if (i + 1 < attempts) await sleep(intervalMs);
  }
  return true;
}

async function openRecord(outage: Outage, first: RouteTransitionSignal, severity: Severity, state: 'open' | 'closed_transient'): Promise<void> {
  outage.state.severity = severity;
  await store.openIncident({
    incidentId: outage.state.incidentId!,
    workflowId: workflowInfo().workflowId,
    routes: [...outage.routes.keys()],
    dependency: outage.input.dependency,
    severity,
    state,
    trigger: first.kind,
    detectedAt: first.at,
    activePath: outage.routes.get(first.routeId)?.activePath,
  });
}

async function autoFailover(outage: Outage, routeId: string): Promise<void> {
  const policy = outage.contexts.get(routeId)?.failoverPolicy;
  if (policy?.mode !== 'automatic') return;
  await failOver(outage, routeId, { platform: 'system', id: 'failover-policy', name: policy.id });
}

/**
 * Handles transitions until the outage is resolved: routes that join (dependency grouping),
 * recovery, fail-back while failed over, and resolution — by request, or once every route
 * has recovered, is back on its primary and has stayed so for `stableForMs`.
 */
async function runUntilResolved(outage: Outage): Promise<void> {
  const { state } = outage;
  const baseStable = outage.input.stableForMs ?? 120_000;
  const stableMs = () => (state.trigger === 'flapping' || state.flapping ? Math.max(baseStable, 600_000) : baseStable);
  const pending = () => outage.inbox.length > 0 || outage.resolvedBy !== undefined;
  for (;;) {
    await condition(() => pending() || allRecovered(outage));
    if (outage.resolvedBy) return;
    if (historyTooLong(outage) && ![...outage.routes.values()].some((r) => r.failover === 'running')) await carryOn(outage);
    await handleTransitions(outage, outage.inbox.splice(0));
    if (!allRecovered(outage)) continue;
    const failedOver = [...outage.routes.values()].filter((r) => r.failover === 'done');
    if (failedOver.length > 0) {
      state.phase = 'recovering';
      for (const r of failedOver) await failBack(outage, r.routeId);
      if ([...outage.routes.values()].some((r) => r.failover === 'done')) continue;
    }
    state.pendingTimers = [{ name: 'resolve when stable', firesAt: new Date(new Date(outage.nowIso()).getTime() + stableMs()).toISOString() }];
    if (!(await condition(pending, stableMs()))) return;
  }
}

export function historyTooLong(outage: Outage): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > (outage.input.historyLimit ?? Infinity);
}

function allRecovered(outage: Outage): boolean {
  return outage.routes.size > 0 && [...outage.routes.values()].every((r) => r.health === 'up');
}

async function handleTransitions(outage: Outage, transitions: RouteTransitionSignal[]): Promise<void> {
  const { state } = outage;
  const joining = transitions.filter((t) => !outage.routes.has(t.routeId) && PAGE_KINDS.has(t.kind));
  if (joining.length > 0) {
    // Late routes of the same dependency join this incident without a new page.
    await addRoutes(outage, joining);
    const ids = [...new Set(joining.map((t) => t.routeId))];
    await store.updateIncident({ incidentId: state.incidentId!, set: { routes: [...outage.routes.keys()] } });
    await outage.timeline('routes_attached', `${ids.length} route(s) joined this incident: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}`, { data: { routes: ids } });
    await outage.notify('routes_attached', `${ids.length} more route(s) affected (${outage.routes.size} in all)`, { page: false });
    if (state.actionable) for (const t of joining) if (t.kind === 'down') void autoFailover(outage, t.routeId);
  }
  for (const t of transitions) {
    const known = outage.routes.get(t.routeId);
    if (!known || joining.includes(t)) continue;
    if (t.kind === 'recovered' || t.kind === 'cleared' || t.kind === 'telemetry_restored') {
      known.health = 'up';
      await outage.timeline('recovered', `${t.routeId} recovered`, { data: { score: t.score } });
    } else if (t.kind === 'down' || t.kind === 'degraded') {
      known.health = t.status === 'unknown' ? 'down' : t.status;
    } else if (t.kind === 'flapping' && !state.flapping && state.trigger !== 'flapping' && patched('flapping-mid-incident')) {
      await markFlapping(outage, t);
    }
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

/** Long incidents start a fresh history with the same state (handlers drained first). */
export async function carryOn(outage: Outage): Promise<never> {
  await deliveriesSettled(outage);
  await condition(allHandlersFinished);
  const state = { ...outage.state, routes: [...outage.routes.values()] };
  return continueAsNew<typeof legacyOutageV1>({ ...outage.input, carried: { state, contexts: [...outage.contexts], inbox: outage.inbox.splice(0) } });
}

async function finish(outage: Outage): Promise<void> {
  const { state } = outage;
  const at = outage.nowIso();
  const by = outage.resolvedBy;
  state.phase = 'resolved';
  const summary = by
    ? `resolved by ${by.actor.name ?? by.actor.id}${by.note ? `: ${by.note}` : ''}`
    : `all ${outage.routes.size} route(s) recovered${[...outage.routes.values()].some((r) => r.failover !== 'none') ? ' and back on their primary paths' : ''}`;
  // Independent writes at once (each to its own document): fewer workflow tasks in every outage's history.
  const [times] = await Promise.all([
    store.recordResolution({ incidentId: state.incidentId!, resolvedAt: at, summary }),
    outage.timeline('resolved', summary, { actor: by?.actor, key: 'resolved' }),
    by && store.appendAuditEntry({
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
  await outage.notify('resolved', `${summary}. MTTA ${fmt(times.mttaSec)}, MTTR ${fmt(times.mttrSec)}`, { key: `${state.incidentId}:resolved` });
  // The incident packet: printed, stored and shared in the background, like a notification.
  track(
    outage,
    packets
      .generateIncidentPacket({ incidentId: state.incidentId!, idempotencyKey: `${state.incidentId}:packet:resolved` })
      .catch((err: unknown) => outage.timeline('packet_failed', `incident packet failed: ${(err as Error).message}`, { key: 'packet_failed' })),
  );
  await deliveriesSettled(outage);
  await condition(allHandlersFinished);
}

/** Keeps a background delivery (notification, packet) until it settles. */
function track(outage: Outage, delivery: Promise<unknown>): void {
  const tracked: Promise<void> = delivery.then(() => undefined).finally(() => outage.deliveries.delete(tracked));
  outage.deliveries.add(tracked);
}

/** Waits for every notification still in flight (a run must not end with activities abandoned). */
async function deliveriesSettled(outage: Outage): Promise<void> {
  while (outage.deliveries.size > 0) await Promise.all([...outage.deliveries]);
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
