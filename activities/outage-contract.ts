/**
 * The contract between the outage workflow (workflows/) and its side-effect activities:
 * plain serialisable inputs and outputs only, so workflow code imports this file's types
 * without pulling any I/O in. Every input that causes a side effect carries an
 * `idempotencyKey`: a retried activity with the same key does nothing new and returns
 * what the first run returned.
 */

export type Severity = 'critical' | 'major' | 'warning' | 'info';
export type IncidentState = 'detecting' | 'open' | 'acknowledged' | 'failed_over' | 'recovering' | 'resolved' | 'closed_transient';
import type { Actor } from '../src/actor';

export type { Actor, Platform } from '../src/actor';

export type NotificationKind =
  | 'opened'
  | 'escalated'
  | 'acknowledged'
  | 'failed_over'
  | 'failover_failed'
  | 'failed_back'
  | 'resolved'
  | 'flapping'
  | 'telemetry_gap'
  | 'maintenance'
  | 'routes_attached';

export interface NotifyInput {
  idempotencyKey: string;
  incidentId: string;
  kind: NotificationKind;
  severity: Severity;
  routes: string[];
  /** Escalation targets (`team:<id>`, `slack:<id>`, `discord:<id>`, `webhook:<subscription id>`); empty = the owner team's channels. */
  targets: string[];
  title: string;
  text: string;
  /** false: record and show, but do not page anyone (maintenance, suppressed). */
  page: boolean;
}

export interface NotifyResult {
  /** true when this key had already been sent (nothing was sent again). */
  duplicate: boolean;
  deliveries: { channel: string; target: string; ok: boolean; error?: string }[];
}

export interface ExecuteFailoverInput {
  idempotencyKey: string;
  incidentId: string;
  routeId: string;
  policyId: string;
  direction: 'failover' | 'failback';
  fromPathId: string;
  toPathId: string;
}

export interface ExecuteFailoverResult {
  ok: boolean;
  detail: string;
  /** true when this key had already run (the executor was not run again). */
  duplicate: boolean;
  /** A run with this key started and never recorded an outcome (its worker died mid-run): it may or may not have changed the network. */
  outcomeUnknown?: boolean;
}

export interface VerifyPathInput {
  routeId: string;
  pathId: string;
}

export interface VerifyPathResult {
  ok: boolean;
  status: 'up' | 'degraded' | 'down' | 'unknown';
  score: number;
  detail: string;
}

export interface OpenIncidentInput {
  incidentId: string;
  workflowId: string;
  routes: string[];
  dependency?: string;
  severity: Severity;
  state: IncidentState;
  trigger: string;
  detectedAt: string;
  activePath?: string;
}

export interface UpdateIncidentInput {
  incidentId: string;
  /**
   * The workflow numbers its writes; a write whose revision is not newer than the document's is
   * ignored (a late retry of an older write). Absent (outages started before revisions): applied.
   */
  revision?: number;
  set: {
    routes?: string[];
    severity?: Severity;
    state?: IncidentState;
    acknowledgedAt?: string;
    acknowledgedBy?: Actor;
    failedOverAt?: string;
    failedBackAt?: string;
    resolvedAt?: string;
    activePath?: string;
    summary?: string;
    mttaSec?: number;
    mttrSec?: number;
  };
}

export interface TimelineInput {
  incidentId: string;
  eventId: string;
  at: string;
  kind: string;
  message: string;
  actor?: Actor;
  data?: Record<string, unknown>;
}
