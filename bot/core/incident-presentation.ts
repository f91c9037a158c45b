/**
 * How an incident reads in chat, whatever the platform: labels, emoji, the state flags that
 * decide which buttons an alert offers, route metric lines and the one-line headline. The
 * Slack (Block Kit) and Discord (embeds) renderers format these; neither decides them.
 */
import type { IncidentView, RouteImpactView } from './incident-view';

export const SEVERITY_EMOJI: Record<IncidentView['severity'], string> = { critical: '🔴', major: '🟠', warning: '🟡', info: '🔵' };
export const HEALTH_EMOJI: Record<RouteImpactView['health'], string> = { down: '🔴', degraded: '🟠', up: '🟢', unknown: '⚪' };
const HEALTH_RANK: RouteImpactView['health'][] = ['down', 'degraded', 'unknown', 'up'];
export const STATE_LABEL: Record<IncidentView['state'], string> = {
  detecting: 'Detecting',
  open: 'Open',
  acknowledged: 'Acknowledged',
  failed_over: 'Failed over',
  recovering: 'Recovering',
  resolved: 'Resolved',
  closed_transient: 'Closed (transient)',
};
export const TIMELINE_EMOJI: Record<string, string> = {
  detected: '🚨',
  escalated: '📣',
  acknowledged: '✋',
  failover_started: '🔀',
  failed_over: '🔀',
  failover_attempt_failed: '⚠️',
  failback_approved: '↩️',
  failback_delay_restarted: '⏳',
  failback_failed: '⚠️',
  failback_unverified: '⚠️',
  failed_back: '↩️',
  recovered: '💚',
  resolved: '✅',
  closed_transient: '💤',
  notification_failed: '⚠️',
  routes_attached: '➕',
  task_done: '☑️',
  note: '📝',
};

export type IncidentFlags = ReturnType<typeof incidentState>;

export function incidentState(view: IncidentView) {
  return {
    acknowledged: Boolean(view.acknowledgedAt ?? view.acknowledgedBy) || view.state === 'acknowledged',
    failedOver: view.state === 'failed_over' || view.state === 'recovering',
    resolved: view.state === 'resolved' || view.state === 'closed_transient',
  };
}

/** Which action buttons an alert offers in this state. */
export function alertActions(flags: IncidentFlags, view: IncidentView) {
  return { canAck: !flags.acknowledged && !flags.resolved, canFailover: !flags.resolved && !flags.failedOver, canResolve: !flags.resolved, hasChecklist: view.runbooks.length > 0 };
}

export function severityContext(view: IncidentView) {
  return {
    severityEmoji: SEVERITY_EMOJI[view.severity],
    severityLabel: view.severity.toUpperCase(),
    severityName: view.severity[0]!.toUpperCase() + view.severity.slice(1),
    stateLabel: STATE_LABEL[view.state],
  };
}

/** A route's metrics, its signals as text, and whether it runs on a backup path. */
export function routeContext(route: RouteImpactView) {
  const num = (n: number) => String(Math.round(n * 10) / 10);
  const metrics = [
    route.score !== undefined ? `score ${Math.round(route.score)}` : undefined,
    route.latencyMs !== undefined ? `${num(route.latencyMs)} ms latency` : undefined,
    route.lossPct !== undefined ? `${num(route.lossPct)}% loss` : undefined,
    route.jitterMs !== undefined ? `${num(route.jitterMs)} ms jitter` : undefined,
  ].filter(Boolean);
  return {
    ...route,
    healthEmoji: HEALTH_EMOJI[route.health],
    metrics: metrics.join(' · '),
    onBackup: Boolean(route.activePath && route.primaryPath && route.activePath !== route.primaryPath),
    signals: route.signals.map((s) => `${s.kind} ${s.status}${s.detail ? ` (${s.detail})` : ''}`),
  };
}

/** "[CRITICAL] inc-… core-rtr-1 down (3 routes) — acknowledged by alice" (unescaped). */
export function alertHeadline(view: IncidentView, flags: IncidentFlags = incidentState(view)): string {
  const routes = view.routeCount > 1 ? ` (${view.routeCount} routes)` : '';
  const worst = HEALTH_RANK.find((h) => view.routes.some((r) => r.health === h));
  let text = `[${view.severity.toUpperCase()}] ${view.incidentId} ${subjectOf(view)}`;
  if (flags.resolved) return `${text}${routes} resolved`;
  text += `${worst ? ` ${worst}` : ''}${routes}`;
  if (flags.failedOver) text += ' — failed over';
  if (flags.acknowledged) text += ` — acknowledged${view.acknowledgedBy ? ` by ${view.acknowledgedBy}` : ''}`;
  return text;
}

/** What the incident is about: its dependency, else its first route. */
export function subjectOf(view: IncidentView): string {
  return view.dependency ?? view.routes[0]?.name ?? view.routes[0]?.id ?? `${view.routeCount} routes`;
}

/** MTTA and MTTR in seconds, from the stored figures or the view's times. */
export function responseTimes(view: IncidentView): { mttaSec?: number; mttrSec?: number } {
  return { mttaSec: view.mttaSec ?? secondsBetween(view.detectedAt, view.acknowledgedAt), mttrSec: view.mttrSec ?? secondsBetween(view.detectedAt, view.resolvedAt) };
}

function secondsBetween(from: string, to?: string): number | undefined {
  if (!to) return undefined;
  const sec = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(sec) && sec >= 0 ? sec : undefined;
}

/** 45s, 4m 12s, 1h 05m, 2d 3h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** `a, b, c` or `a, b and 5 more` (total: how many there are, when items holds only some). */
export function capList(items: readonly string[], max: number, total = items.length): string {
  const shown = items.slice(0, max);
  const more = Math.max(0, total - shown.length);
  if (shown.length === 0) return more > 0 ? `${more} not listed` : 'none';
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/** `1 route`, `3 routes`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
