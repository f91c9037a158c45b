/**
 * Signals, updates and queries of the outage workflow, declared once. Bot and API code
 * import this module (and nothing else from workflows/) to talk to a running outage.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor, Severity } from '../activities/outage-contract';

/** A debounced route health transition from the sweeper (src/health/debounce.ts). */
export interface RouteTransitionSignal {
  routeId: string;
  kind: 'suspect' | 'cleared' | 'down' | 'degraded' | 'recovering' | 'recovered' | 'flapping' | 'telemetry_gap' | 'telemetry_restored';
  at: string;
  status: 'up' | 'degraded' | 'down' | 'unknown';
  score: number;
  taxonomy: string[];
  cause: string;
  detail?: string;
}

export type OutagePhase = 'detecting' | 'open' | 'acknowledged' | 'failed_over' | 'recovering' | 'resolved' | 'closed_transient';

export interface OutageRouteState {
  routeId: string;
  health: 'down' | 'degraded' | 'up' | 'unknown';
  activePath?: string;
  failover: 'none' | 'running' | 'done' | 'failed';
  failbackHealthySince?: string;
  /** Automatic fail-over attempts so far (each a new executor key: `auto-<n>`). */
  autoFailovers?: number;
  /** Fail-back attempts so far; a failed one is attempted again with backoff. */
  failbackAttempts?: number;
  /** The last people's failover requests that ran, with their answers (a resend runs nothing). */
  failoverRequests?: { tag: string; result: FailoverResult['result'] }[];
  /** Tags of the last people's failback requests that started an attempt (a resend starts none). */
  failbackRequests?: string[];
  /** Why the route is not on its primary path yet, when it is not (shown by `status`/`incident`). */
  waiting?: string;
}

export interface OutageState {
  incidentId?: string;
  phase: OutagePhase;
  openedAt?: string;
  /** When the sweeper saw the first opening transition (MTTA and MTTR count from here). */
  detectedAt?: string;
  actionable?: boolean;
  /** Someone was paged for this outage (not when it opened inside a maintenance window, until a route outside one joins). */
  paged?: boolean;
  severity?: Severity;
  trigger?: string;
  /** A route of this outage flapped after it opened (see markFlapping). */
  flapping?: boolean;
  routes: OutageRouteState[];
  acknowledgedBy?: Actor;
  acknowledgedAt?: string;
  /** A person asked to resolve; the outage resolves once every route is back on its primary path. */
  resolveRequestedBy?: Actor;
  /** Transitions this run has received (signals), for callers that wait until theirs was read. */
  received?: number;
  escalationLevel: number;
  /** How many escalation steps (levels and repeats) have fired. */
  escalationStep: number;
  pendingTimers: { name: string; firesAt: string }[];
  awaitingFailbackApproval: string[];
  /** The last people's failover and failback requests answered, by kind and tag: a resend gets the same answer and does nothing. */
  answered?: { key: string; answer: FailoverResult | FailbackResult }[];
}

export const routeTransition = defineSignal<[RouteTransitionSignal]>('routeTransition');
/** Several at once: the sweeper gathers a dependency's transitions for a moment (an outage of 1,000 routes is a few signals, not 1,000). */
export const routeTransitions = defineSignal<[RouteTransitionSignal[]]>('routeTransitions');

export interface AckResult {
  result: 'acknowledged' | 'already_acknowledged';
  by: Actor;
}
export const acknowledge = defineUpdate<AckResult, [{ actor: Actor; note?: string }]>('acknowledge');

export interface FailoverResult {
  result: 'failed_over' | 'already_failed_over' | 'failed' | 'no_backup';
  routeId: string;
  pathId?: string;
  detail: string;
}
/**
 * A person's request. `requestId` is the platform's id of the request (a Slack trigger id, a
 * Discord interaction id): a resend of the same request is the same action, a new request is a
 * new one (it runs the executor again after a failed run). Absent: the Temporal update id.
 */
export interface OperatorRequest {
  actor: Actor;
  requestId?: string;
}

/** routeId: the outage's first route when absent; pathId: a named backup, else backups in order. */
export const requestFailover = defineUpdate<FailoverResult, [OperatorRequest & { routeId?: string; pathId?: string }]>('requestFailover');

export interface FailbackResult {
  /** approved: a fail-back waiting for approval goes ahead; retrying: a failed fail-back is attempted again now. */
  result: 'approved' | 'retrying' | 'nothing_to_approve';
  routes: string[];
}
export const approveFailback = defineUpdate<FailbackResult, [OperatorRequest]>('approveFailback');

export interface ResolveResult {
  /** resolving: accepted, but routes are still on backup paths; the outage resolves once they are back. */
  result: 'resolved' | 'resolving' | 'already_resolved';
  detail?: string;
}
export const resolve = defineUpdate<ResolveResult, [OperatorRequest & { note?: string }]>('resolve');

export const outageState = defineQuery<OutageState>('outageState');
