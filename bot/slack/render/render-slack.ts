import type { IncidentView, RouteImpactView } from '../../core/incident-view';
import { escapeMrkdwn, formatDuration, plainDate, truncateMrkdwn } from './mrkdwn';
import { fitSlackLimits, SLACK_LIMITS, type SlackMessage } from './slack-limits';
import { renderBlocks } from './templates';

/**
 * Slack messages for incidents, from the Handlebars templates in templates/slack/. Pure:
 * the only I/O is reading each template once. Buttons' action_ids are what the Slack
 * adapter listens for: incident_ack, incident_failover, incident_resolve, incident_checklist
 * (value: the incident id) and task_done (value: the task id).
 */

export type { SlackBlock, SlackMessage } from './slack-limits';

export const ACTION_IDS = {
  ack: 'incident_ack',
  failover: 'incident_failover',
  resolve: 'incident_resolve',
  checklist: 'incident_checklist',
  taskDone: 'task_done',
} as const;

/** How many of a list an alert shows before "and N more". */
const LIST_CAP = 10;
const FIELD_ROUTES = 3;
const SIGNALS_PER_ROUTE = 4;
const CHECKS_CAP = 8;

const SEVERITY_EMOJI: Record<IncidentView['severity'], string> = { critical: '🔴', major: '🟠', warning: '🟡', info: '🔵' };
const HEALTH_EMOJI: Record<RouteImpactView['health'], string> = { down: '🔴', degraded: '🟠', up: '🟢', unknown: '⚪' };
const HEALTH_RANK: RouteImpactView['health'][] = ['down', 'degraded', 'unknown', 'up'];
const STATE_LABEL: Record<IncidentView['state'], string> = {
  detecting: 'Detecting',
  open: 'Open',
  acknowledged: 'Acknowledged',
  failed_over: 'Failed over',
  recovering: 'Recovering',
  resolved: 'Resolved',
  closed_transient: 'Closed (transient)',
};
const TIMELINE_EMOJI: Record<string, string> = {
  detected: '🚨',
  escalated: '📣',
  acknowledged: '✋',
  failover_started: '🔀',
  failed_over: '🔀',
  failover_attempt_failed: '⚠️',
  failback_approved: '↩️',
  failback_delay_restarted: '⏳',
  failback_failed: '⚠️',
  failed_back: '↩️',
  recovered: '💚',
  resolved: '✅',
  closed_transient: '💤',
  notification_failed: '⚠️',
  routes_attached: '➕',
  task_done: '☑️',
  note: '📝',
};

/** The alert: what is down, why, who is affected, what to check, and the action buttons. */
export function renderAlert(view: IncidentView): SlackMessage {
  const state = incidentState(view);
  const routes = view.routes.slice(0, LIST_CAP).map(routeContext);
  const context = {
    view,
    ...severityContext(view),
    ...state,
    canAck: !state.acknowledged && !state.resolved,
    canFailover: !state.resolved && !state.failedOver,
    canResolve: !state.resolved,
    hasChecklist: view.runbooks.length > 0,
    fieldRoutes: routes.slice(0, FIELD_ROUTES),
    moreFieldRoutes: Math.max(0, view.routeCount - Math.min(FIELD_ROUTES, routes.length)),
    routes,
    routesNotShown: Math.max(0, view.routeCount - routes.length),
    checks: view.recommendedChecks.slice(0, CHECKS_CAP),
    moreChecks: Math.max(0, view.recommendedChecks.length - CHECKS_CAP),
    runbooks: view.runbooks.slice(0, LIST_CAP),
  };
  return { text: alertText(view, state), blocks: fitSlackLimits(renderBlocks('alert', context)) };
}

export interface ChecklistInput {
  incidentId: string;
  runbook: { id: string; title: string; url?: string };
  tasks: { id: string; text: string; done: boolean; doneBy?: string; doneAt?: string }[];
}

/** A runbook's checklist for one incident: a Done button per open task, who did it per done task. */
export function renderChecklist(input: ChecklistInput): SlackMessage {
  const doneCount = input.tasks.filter((t) => t.done).length;
  const text = `Checklist for ${input.incidentId}: ${input.runbook.title} (${doneCount} of ${input.tasks.length} done)`;
  return { text: plain(text), blocks: fitSlackLimits(renderBlocks('checklist', { ...input, doneCount, total: input.tasks.length })) };
}

export interface TimelineLineInput {
  kind: string;
  text: string;
  at: string;
  actor?: string;
}

/** One compact line of the incident channel's timeline. */
export function renderTimelineLine(input: TimelineLineInput): SlackMessage {
  const label = input.kind.replace(/_/g, ' ');
  const context = { ...input, label, emoji: TIMELINE_EMOJI[input.kind] ?? '•' };
  const text = `${plainDate(input.at, 'time')} ${label}${input.actor ? ` (${input.actor})` : ''}: ${input.text}`;
  return { text: plain(text), blocks: fitSlackLimits(renderBlocks('timeline-line', context)) };
}

/** The resolution summary for the incident channel: summary, MTTA/MTTR, routes, who acknowledged. */
export function renderResolution(view: IncidentView): SlackMessage {
  const mttaSec = view.mttaSec ?? secondsBetween(view.detectedAt, view.acknowledgedAt);
  const mttrSec = view.mttrSec ?? secondsBetween(view.detectedAt, view.resolvedAt);
  const context = {
    view,
    ...severityContext(view),
    mtta: mttaSec === undefined ? undefined : formatDuration(mttaSec),
    mttr: mttrSec === undefined ? undefined : formatDuration(mttrSec),
    routeNames: view.routes.map((r) => r.name),
  };
  const after = mttrSec === undefined ? '' : ` after ${formatDuration(mttrSec)}`;
  const text = `[RESOLVED] ${view.incidentId} ${subjectOf(view)}${after}`;
  return { text: plain(text), blocks: fitSlackLimits(renderBlocks('resolution', context)) };
}

function incidentState(view: IncidentView) {
  return {
    acknowledged: Boolean(view.acknowledgedAt ?? view.acknowledgedBy) || view.state === 'acknowledged',
    failedOver: view.state === 'failed_over' || view.state === 'recovering',
    resolved: view.state === 'resolved' || view.state === 'closed_transient',
  };
}

function severityContext(view: IncidentView) {
  return {
    severityEmoji: SEVERITY_EMOJI[view.severity],
    severityLabel: view.severity.toUpperCase(),
    severityName: view.severity[0]!.toUpperCase() + view.severity.slice(1),
    stateLabel: STATE_LABEL[view.state],
  };
}

function routeContext(route: RouteImpactView) {
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
    signalCap: SIGNALS_PER_ROUTE,
  };
}

/** "[CRITICAL] inc-… core-rtr-1 down (3 routes) — acknowledged by alice". */
function alertText(view: IncidentView, state: ReturnType<typeof incidentState>): string {
  const routes = view.routeCount > 1 ? ` (${view.routeCount} routes)` : '';
  const worst = HEALTH_RANK.find((h) => view.routes.some((r) => r.health === h));
  let text = `[${view.severity.toUpperCase()}] ${view.incidentId} ${subjectOf(view)}`;
  if (state.resolved) return plain(`${text}${routes} resolved`);
  text += `${worst ? ` ${worst}` : ''}${routes}`;
  if (state.failedOver) text += ' — failed over';
  if (state.acknowledged) text += ` — acknowledged${view.acknowledgedBy ? ` by ${view.acknowledgedBy}` : ''}`;
  return plain(text);
}

function subjectOf(view: IncidentView): string {
  return view.dependency ?? view.routes[0]?.name ?? view.routes[0]?.id ?? `${view.routeCount} routes`;
}

/** Notification text: escaped (Slack parses it as mrkdwn) and within Slack's length. */
function plain(text: string): string {
  return truncateMrkdwn(escapeMrkdwn(text.replace(/\s+/g, ' ').trim()), SLACK_LIMITS.messageText);
}

function secondsBetween(from: string, to?: string): number | undefined {
  if (!to) return undefined;
  const sec = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(sec) && sec >= 0 ? sec : undefined;
}
