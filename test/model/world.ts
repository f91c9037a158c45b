import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import type {
  ExecuteFailoverInput,
  ExecuteFailoverResult,
  NotifyInput,
  OpenIncidentInput,
  TimelineInput,
  UpdateIncidentInput,
  VerifyPathResult,
} from '../../activities/outage-contract';
import type { AuditInput, RouteContext } from '../../activities/route-directory';
import { down, up } from '../support/outage-fakes';

/**
 * The in-memory world one generated history runs against: the network (each path's link, each
 * route's active path), the failover executor, the chat platforms and the incident store, with
 * a record of everything the workflow did to them. Its activities behave like the real ones
 * (activities/*.ts) where the lifecycle's promises depend on it: executor runs and notifications
 * keyed by idempotency key, timeline and audit insert-once, incident writes under the revision
 * rule. Times are the test server's (the activity's scheduled time), as the workflow sees them.
 */

/** What the executor does on the next new run (one outcome per run; `ok` once the list is empty). */
export type ExecutorOutcome = 'ok' | 'failed' | 'hang' | 'hang-moved' | 'unknown' | 'unknown-moved';

export interface ExecutorRun {
  key: string;
  input: ExecuteFailoverInput;
  outcome: ExecutorOutcome;
  status: 'running' | 'finished';
  ok?: boolean;
  /** Server time the run started. */
  at: number;
  /** Temporal activity executions that asked for this key (workflow run + activity id). */
  callers: Set<string>;
}

export interface IncidentDoc extends Omit<OpenIncidentInput, 'detectedAt'> {
  detectedAt: number;
  openedAt: number;
  revision?: number;
  acknowledgedAt?: string;
  acknowledgedBy?: { platform: string; id: string; name?: string };
  failedOverAt?: string;
  failedBackAt?: string;
  resolvedAt?: string;
  summary?: string;
  mttaSec?: number;
  mttrSec?: number;
  /** When each route first appeared on the document (server time). */
  routeJoinedAt: Record<string, number>;
  /** When the document last entered a closed state (resolved / closed_transient), if it is closed. */
  closedAt?: number;
}

export interface StoreWrite {
  incidentId: string;
  at: number;
  revision?: number;
  set: Record<string, unknown>;
  applied: boolean;
  late: boolean;
}

export interface Delivery {
  key: string;
  input: NotifyInput;
  at: number;
  caller: string;
}

const LINK_IDS = ['primary', 'backup-a', 'backup-b'] as const;
export type PathId = (typeof LINK_IDS)[number];

export class World {
  /** link[route][path]: the path's link is up. */
  readonly link = new Map<string, Map<string, boolean>>();
  /** The path each route's traffic uses, as the executor left it. */
  readonly active = new Map<string, string>();
  readonly executorRuns = new Map<string, ExecutorRun>();
  readonly executorOutcomes: ExecutorOutcome[] = [];
  /** Every executor call (new runs, retries and duplicates). */
  readonly executorCalls: { key: string; at: number; caller: string; attempt: number; result: ExecuteFailoverResult | 'lost' }[] = [];
  /** Chat platforms fail (retryably) until this server time. */
  chatDownUntil = 0;
  readonly notifyCalls: { input: NotifyInput; at: number; caller: string; attempt: number; outcome: 'delivered' | 'duplicate' | 'failed' }[] = [];
  readonly deliveries = new Map<string, Delivery>();
  /** A delivered key asked for again with another message (invariant f). */
  readonly redeliveries: Delivery[] = [];
  readonly incidents = new Map<string, IncidentDoc>();
  readonly openCalls: { input: OpenIncidentInput; at: number }[] = [];
  readonly writes: StoreWrite[] = [];
  /** The next incident write is delivered late: its attempt times out, and the write lands after the next write. */
  storeLag = 0;
  private readonly lateWrites: UpdateIncidentInput[] = [];
  readonly timeline = new Map<string, TimelineInput & { atMs: number }>();
  readonly audit = new Map<string, AuditInput>();
  readonly verifyCalls: { routeId: string; pathId: string; at: number; result: VerifyPathResult }[] = [];
  readonly packets: { incidentId: string; idempotencyKey: string }[] = [];

  constructor(readonly contexts: Record<string, RouteContext>) {
    for (const id of Object.keys(contexts)) {
      this.link.set(id, new Map(LINK_IDS.map((p) => [p, true])));
      this.active.set(id, 'primary');
    }
  }

  setLink(routeId: string, pathId: string, isUp: boolean): void {
    this.link.get(routeId)!.set(pathId, isUp);
  }

  /** The settle phase: every link up, executors and chat working, writes on time. */
  heal(): void {
    for (const links of this.link.values()) for (const p of links.keys()) links.set(p, true);
    this.executorOutcomes.length = 0;
    this.chatDownUntil = 0;
    this.storeLag = 0;
  }

  /**
   * A path's own probe measures its link; `ok` (the route works over this path) also needs the
   * route's traffic to use it. So a failback check of the primary while on a backup sees the
   * primary healthy but not carrying the route, and verifying a run whose outcome is unknown
   * tells whether the route really moved.
   */
  verify(routeId: string, pathId: string, at: number): VerifyPathResult {
    const linkUp = this.link.get(routeId)?.get(pathId) ?? false;
    const carries = this.active.get(routeId) === pathId;
    const result: VerifyPathResult = linkUp
      ? { ...up, ok: carries, detail: carries ? 'replies' : 'path replies, but the route does not use it' }
      : down;
    this.verifyCalls.push({ routeId, pathId, at, result });
    return result;
  }

  /** Like activities/failover-executor.ts: one run per key; a retry gets the recorded outcome, or outcomeUnknown for a run that never recorded one. */
  execute(input: ExecuteFailoverInput, at: number, caller: string, attempt: number): ExecuteFailoverResult {
    const key = input.idempotencyKey;
    const known = this.executorRuns.get(key);
    if (known) {
      known.callers.add(caller);
      const result: ExecuteFailoverResult =
        known.status === 'finished'
          ? { ok: known.ok === true, detail: `recorded: ${known.ok ? 'ok' : 'failed'}`, duplicate: true }
          : // The real activity waits for the run's deadline (executor timeout + grace) first; a retry comes after a
            // heartbeat timeout, and the model's executor timeout is shorter than that, so the deadline has passed.
            { ok: false, detail: 'a run with this key never recorded an outcome; not run again', duplicate: true, outcomeUnknown: true };
      this.executorCalls.push({ key, at, caller, attempt, result });
      return result;
    }
    const outcome = this.executorOutcomes.shift() ?? 'ok';
    const run: ExecutorRun = { key, input, outcome, status: 'running', at, callers: new Set([caller]) };
    this.executorRuns.set(key, run);
    if (outcome === 'ok' || outcome === 'hang-moved' || outcome === 'unknown-moved') this.active.set(input.routeId, input.toPathId);
    if (outcome === 'ok' || outcome === 'failed') {
      run.status = 'finished';
      run.ok = outcome === 'ok';
      const result: ExecuteFailoverResult = { ok: run.ok, detail: run.ok ? 'executed' : 'executor exited 1', duplicate: false };
      this.executorCalls.push({ key, at, caller, attempt, result });
      return result;
    }
    if (outcome === 'unknown' || outcome === 'unknown-moved') {
      // As if an earlier attempt's worker died mid-run: the run is there, its outcome is not.
      const result: ExecuteFailoverResult = { ok: false, detail: 'a run with this key never recorded an outcome; not run again', duplicate: true, outcomeUnknown: true };
      this.executorCalls.push({ key, at, caller, attempt, result });
      return result;
    }
    this.executorCalls.push({ key, at, caller, attempt, result: 'lost' });
    // A hang ends the attempt as its heartbeat timeout would. On the time-skipping server time
    // does not skip while an activity runs, so really hanging would cost 10 s of wall time each.
    throw ApplicationFailure.retryable('the executor did not answer before its heartbeat timeout (model: attempt lost)', 'ModelExecutorHang');
  }

  notify(input: NotifyInput, at: number, caller: string, attempt: number): { duplicate: boolean; deliveries: [] } {
    if (at < this.chatDownUntil) {
      this.notifyCalls.push({ input, at, caller, attempt, outcome: 'failed' });
      throw ApplicationFailure.retryable('chat platform answered 503 (model: chat down)', 'ModelChatDown');
    }
    const delivered = this.deliveries.get(input.idempotencyKey);
    if (delivered) {
      // The real activity delivers a key once. Asked for again with another message, the workflow
      // reused a key for news it meant to send, and that news is silently lost. (The same message
      // again is what keys are for: a resent request, a run that continued as new.)
      const said = (n: NotifyInput) => JSON.stringify([n.kind, n.text, n.page, n.targets]);
      if (said(delivered.input) !== said(input)) this.redeliveries.push({ key: input.idempotencyKey, input, at, caller });
      this.notifyCalls.push({ input, at, caller, attempt, outcome: 'duplicate' });
      return { duplicate: true, deliveries: [] };
    }
    this.deliveries.set(input.idempotencyKey, { key: input.idempotencyKey, input, at, caller });
    this.notifyCalls.push({ input, at, caller, attempt, outcome: 'delivered' });
    return { duplicate: false, deliveries: [] };
  }

  openIncident(input: OpenIncidentInput, at: number): { created: boolean } {
    this.openCalls.push({ input, at });
    if (this.incidents.has(input.incidentId)) return { created: false };
    const closed = input.state === 'resolved' || input.state === 'closed_transient';
    this.incidents.set(input.incidentId, {
      ...input,
      detectedAt: Date.parse(input.detectedAt),
      openedAt: at,
      routeJoinedAt: Object.fromEntries(input.routes.map((r) => [r, at])),
      ...(closed ? { closedAt: at } : {}),
    });
    return { created: true };
  }

  /** The store's write rule (issue 15, rule 4): a write whose revision is not newer than the document's is ignored. */
  updateIncident(input: UpdateIncidentInput, at: number): { applied: boolean } {
    const doc = this.incidents.get(input.incidentId);
    if (!doc) throw ApplicationFailure.nonRetryable(`unknown incident "${input.incidentId}"`, 'UnknownIncident');
    if (this.storeLag > 0) {
      this.storeLag--;
      this.lateWrites.push(input);
      throw ApplicationFailure.retryable('incident store timed out (model: the write lands later)', 'ModelStoreLag');
    }
    const result = this.apply(doc, input, at, false);
    this.landLateWrites(at);
    return result;
  }

  /** The pre-revision resolution write (read, then write), kept for runs started before it was retired. */
  recordResolution({ incidentId, resolvedAt, summary }: { incidentId: string; resolvedAt?: string; summary?: string }, at: number): { mttaSec?: number; mttrSec?: number } {
    const doc = this.incidents.get(incidentId);
    if (!doc) throw ApplicationFailure.nonRetryable(`unknown incident "${incidentId}"`, 'UnknownIncident');
    const resolved = resolvedAt ?? doc.resolvedAt;
    const times = {
      ...(doc.acknowledgedAt ? { mttaSec: (Date.parse(doc.acknowledgedAt) - doc.detectedAt) / 1000 } : {}),
      ...(resolved ? { mttrSec: (Date.parse(resolved) - doc.detectedAt) / 1000 } : {}),
    };
    this.apply(doc, { incidentId, set: { ...(resolvedAt ? { state: 'resolved' as const, resolvedAt } : {}), ...(summary ? { summary } : {}), ...times } }, at, false);
    this.landLateWrites(at);
    return times;
  }

  private apply(doc: IncidentDoc, input: UpdateIncidentInput, at: number, late: boolean): { applied: boolean } {
    const write: StoreWrite = { incidentId: input.incidentId, at, revision: input.revision, set: { ...input.set }, applied: false, late };
    this.writes.push(write);
    if (input.revision !== undefined && doc.revision !== undefined && input.revision <= doc.revision) return { applied: false };
    write.applied = true;
    if (input.revision !== undefined) doc.revision = input.revision;
    Object.assign(doc, input.set);
    for (const r of input.set.routes ?? []) doc.routeJoinedAt[r] ??= at;
    if (input.set.state === 'resolved' || input.set.state === 'closed_transient') doc.closedAt ??= at;
    else if (input.set.state !== undefined) delete doc.closedAt;
    return { applied: true };
  }

  private landLateWrites(at: number): void {
    for (const late of this.lateWrites.splice(0)) {
      const doc = this.incidents.get(late.incidentId);
      if (doc) this.apply(doc, late, at, true);
    }
  }

  appendTimeline(input: TimelineInput, at: number): { added: boolean } {
    const key = `${input.incidentId}/${input.eventId}`;
    if (this.timeline.has(key)) return { added: false };
    this.timeline.set(key, { ...input, atMs: at });
    return { added: true };
  }

  appendAudit(entry: AuditInput): void {
    if (!this.audit.has(entry.idempotencyKey)) this.audit.set(entry.idempotencyKey, entry);
  }
}

/** Which workflow run and activity is calling, and at what server time. */
function callInfo(): { at: number; caller: string; attempt: number } {
  const info = Context.current().info;
  return { at: info.currentAttemptScheduledTimestampMs, caller: `${info.workflowExecution?.runId}/${info.activityId}`, attempt: info.attempt };
}

/**
 * The outage workflow's activities over the world of whichever workflow calls: one worker serves
 * a lane's histories one after the other (creating a worker costs seconds).
 */
export function worldActivities(worldOf: (workflowId: string) => World): Activities {
  const world = () => {
    const id = Context.current().info.workflowExecution?.workflowId;
    if (!id) throw ApplicationFailure.nonRetryable('the model activities serve workflows only');
    return worldOf(id);
  };
  // Answers as a promise; a throw (a retryable failure of the world) becomes its rejection.
  const answer = <T>(work: () => T): Promise<T> => new Promise((resolve) => resolve(work()));
  const activities: Activities = {
    loadRouteContexts: (routeIds) =>
      answer(() => {
        const w = world();
        const unknown = routeIds.filter((id) => !w.contexts[id]);
        if (unknown.length) throw ApplicationFailure.nonRetryable(`unknown route ${unknown.join()}`, 'UnknownRoute');
        return routeIds.map((id) => w.contexts[id]!);
      }),
    verifyPath: ({ routeId, pathId }) => answer(() => world().verify(routeId, pathId, callInfo().at)),
    executeFailover: (input) =>
      answer(() => {
        const { at, caller, attempt } = callInfo();
        return world().execute(input, at, caller, attempt);
      }),
    notify: (input) =>
      answer(() => {
        const { at, caller, attempt } = callInfo();
        return world().notify(input, at, caller, attempt);
      }),
    openIncident: (input) => answer(() => world().openIncident(input, callInfo().at)),
    updateIncident: (input) => answer(() => world().updateIncident(input, callInfo().at)),
    recordResolution: (input) => answer(() => world().recordResolution(input, callInfo().at)),
    appendTimeline: (input) => answer(() => world().appendTimeline(input, callInfo().at)),
    appendAuditEntry: (entry) => answer(() => world().appendAudit(entry)),
    generateIncidentPacket: (input) =>
      answer(() => {
        world().packets.push({ incidentId: input.incidentId, idempotencyKey: input.idempotencyKey });
        return { incidentId: input.incidentId, pdfKb: 100, pages: 2 };
      }),
  };
  return activities;
}
