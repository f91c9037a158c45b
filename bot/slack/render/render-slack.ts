import type { ChecklistView } from '../../core/checklist';
import { alertActions, alertHeadline, formatDuration, incidentState, responseTimes, routeContext, severityContext, subjectOf, TIMELINE_EMOJI } from '../../core/incident-presentation';
import type { IncidentView } from '../../core/incident-view';
import { escapeMrkdwn, plainDate, truncateMrkdwn } from './mrkdwn';
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

/** The alert: what is down, why, who is affected, what to check, and the action buttons. */
export function renderAlert(view: IncidentView): SlackMessage {
  const state = incidentState(view);
  const routes = view.routes.slice(0, LIST_CAP).map((r) => ({ ...routeContext(r), signalCap: SIGNALS_PER_ROUTE }));
  const context = {
    view,
    ...severityContext(view),
    ...state,
    ...alertActions(state, view),
    fieldRoutes: routes.slice(0, FIELD_ROUTES),
    moreFieldRoutes: Math.max(0, view.routeCount - Math.min(FIELD_ROUTES, routes.length)),
    routes,
    routesNotShown: Math.max(0, view.routeCount - routes.length),
    checks: view.recommendedChecks.slice(0, CHECKS_CAP),
    moreChecks: Math.max(0, view.recommendedChecks.length - CHECKS_CAP),
    runbooks: view.runbooks.slice(0, LIST_CAP),
  };
  return { text: plain(alertHeadline(view, state)), blocks: fitSlackLimits(renderBlocks('alert', context)) };
}

/** A runbook's checklist for one incident: a Done button per open task, who did it per done task. */
export function renderChecklist(input: ChecklistView): SlackMessage {
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
  const { mttaSec, mttrSec } = responseTimes(view);
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

/** Notification text: escaped (Slack parses it as mrkdwn) and within Slack's length. */
function plain(text: string): string {
  return truncateMrkdwn(escapeMrkdwn(text.replace(/\s+/g, ' ').trim()), SLACK_LIMITS.messageText);
}
