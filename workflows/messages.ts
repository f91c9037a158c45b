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
}

export interface OutageState {
  incidentId?: string;
  phase: OutagePhase;
  openedAt?: string;
  actionable?: boolean;
  severity?: Severity;
  trigger?: string;
  /** A route of this outage flapped after it opened (see markFlapping). */
  flapping?: boolean;
  routes: OutageRouteState[];
  acknowledgedBy?: Actor;
  acknowledgedAt?: string;
  escalationLevel: number;
  /** How many escalation steps (levels and repeats) have fired. */
  escalationStep: number;
  pendingTimers: { name: string; firesAt: string }[];
  awaitingFailbackApproval: string[];
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
/** routeId: the outage's first route when absent; pathId: a named backup, else backups in order. */
export const requestFailover = defineUpdate<FailoverResult, [{ actor: Actor; routeId?: string; pathId?: string }]>('requestFailover');

export const approveFailback = defineUpdate<{ result: 'approved' | 'nothing_to_approve' }, [{ actor: Actor }]>('approveFailback');

export const resolve = defineUpdate<{ result: 'resolved' | 'already_resolved' }, [{ actor: Actor; note?: string }]>('resolve');

export const outageState = defineQuery<OutageState>('outageState');
