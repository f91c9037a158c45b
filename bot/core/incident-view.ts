/**
 * What an operator sees of an incident, platform-neutral: built from MongoDB by
 * `loadIncidentView`, rendered by each chat adapter's templates (Slack Block Kit, Discord
 * embeds) and by the incident packet.
 */
import type { IncidentState, Severity } from '../../activities/outage-contract';

export interface RouteSignalView {
  kind: string;
  status: string;
  detail?: string;
}

export interface RouteImpactView {
  id: string;
  name: string;
  /** Current health from the latest snapshot ('unknown' when there is none). */
  health: 'up' | 'degraded' | 'down' | 'unknown';
  score?: number;
  latencyMs?: number;
  lossPct?: number;
  jitterMs?: number;
  lastHealthyAt?: string;
  taxonomy: string[];
  signals: RouteSignalView[];
  primaryPath?: string;
  /** The path traffic is on now (primary, or a backup after fail-over). */
  activePath?: string;
}

export interface RunbookLinkView {
  id: string;
  title: string;
  url?: string;
}

export interface IncidentView {
  incidentId: string;
  severity: Severity;
  state: IncidentState;
  trigger?: string;
  detectedAt: string;
  acknowledgedAt?: string;
  /** Display name (or id) and platform of who acknowledged. */
  acknowledgedBy?: string;
  failedOverAt?: string;
  failedBackAt?: string;
  resolvedAt?: string;
  summary?: string;
  mttaSec?: number;
  mttrSec?: number;
  ownerTeams: string[];
  /** The dependency the routes are grouped under, and every dependency they list. */
  dependency?: string;
  dependencies: string[];
  /** Affected routes, the first `ROUTE_VIEW_LIMIT` of them; `routeCount` has them all. */
  routes: RouteImpactView[];
  routeCount: number;
  /** Other routes on the same dependencies, not (yet) affected. */
  downstreamRoutes: string[];
  /** Customer identifiers: present only when the viewer is permitted to see them. */
  customers?: string[];
  customerCount: number;
  runbooks: RunbookLinkView[];
  /** The first checklist items of the matching runbooks: what to look at first. */
  recommendedChecks: string[];
}

export const ROUTE_VIEW_LIMIT = 10;
