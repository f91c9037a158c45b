/** The commands that change an outage: each goes to the outage workflow (or the route directory for maint). */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { acknowledge, approveFailback, requestFailover, resolve } from '../../workflows/messages';
import type { CommandReply, CommandRequest, CoreDeps } from './command-core';
import { openMaintenanceWindow } from '../../src/directory/maintenance-windows';
import { CLOSED_STATES } from '../../src/models/incident';
import { findIncident } from './find-incident';
import { MAINTENANCE_LIMIT_SEC, type Command } from './parse-command';

export interface ActionOutcome {
  status: 'ok' | 'refused' | 'error';
  target?: { kind: string; id: string };
  incidentId?: string;
  routeId?: string;
  after?: object;
}

type Acted = ActionOutcome & { reply: CommandReply };


const said = (text: string, incidentId?: string, ephemeral = false): CommandReply => ({ ok: true, text, ephemeral, incidentId });
const refused = (text: string, extra: ActionOutcome = { status: 'refused' }): Acted => ({ ...extra, reply: { ok: false, text, ephemeral: true } });

export async function runAction(deps: CoreDeps, request: CommandRequest): Promise<Acted> {
  const { command } = request;
  if (command.name === 'maint') return startMaintenance(deps, request, command);
  const routeId = command.name === 'failover' || command.name === 'failback' ? command.route : undefined;
  const ref = await findIncident(deps.models, {
    incidentId: command.name === 'ack' ? command.incidentId : undefined,
    channelIncidentId: request.incidentId,
    routeId,
  });
  if (!ref.ok) return refused(ref.reply);
  const base = { target: { kind: 'incident', id: ref.incidentId }, incidentId: ref.incidentId, routeId };
  if (CLOSED_STATES.includes(ref.state)) return refused(`${ref.incidentId} is ${ref.state.replace('_', ' ')}; nothing to ${command.name}`, { status: 'refused', ...base });
  if (routeId && !ref.routes.includes(routeId)) return refused(`route ${routeId} is not part of ${ref.incidentId}`, { status: 'refused', ...base });

  const handle = deps.workflows.getHandle(ref.workflowId);
  const who = request.actor.name ?? request.actor.id;
  // The platform's id of this request: a resend of it is the same action (Temporal dedupes the
  // update by id); a new request is a new action (it runs a failed executor again).
  const requestId = `${request.actor.platform}:${request.requestId}`;
  const asRequest = { updateId: requestId };
  try {
    switch (command.name) {
      case 'ack': {
        // Acknowledging twice is harmless: a resend is answered "already acknowledged".
        const r = await handle.executeUpdate(acknowledge, { args: [{ actor: request.actor }] });
        if (r.result === 'already_acknowledged') return { status: 'ok', ...base, after: r, reply: said(`${ref.incidentId} was already acknowledged by ${r.by.name ?? r.by.id}`, ref.incidentId, true) };
        return { status: 'ok', ...base, after: r, reply: said(`${who} acknowledged ${ref.incidentId}: escalation stopped`, ref.incidentId) };
      }
      case 'failover': {
        const r = await handle.executeUpdate(requestFailover, { args: [{ actor: request.actor, routeId, pathId: command.backup, requestId }], ...asRequest });
        const text = {
          failed_over: `${who} failed ${r.routeId} over to ${r.pathId ?? 'its backup'}: ${r.detail}`,
          already_failed_over: `${r.routeId} is already on ${r.pathId ?? 'a backup'}`,
          failed: `failover of ${r.routeId} did not work: ${r.detail}`,
          no_backup: `cannot fail ${r.routeId} over: ${r.detail}`,
        }[r.result];
        return { status: r.result === 'failed_over' || r.result === 'already_failed_over' ? 'ok' : 'error', ...base, routeId: r.routeId, after: r, reply: { ok: r.result !== 'failed' && r.result !== 'no_backup', text, ephemeral: false, incidentId: ref.incidentId } };
      }
      case 'failback': {
        const r = await handle.executeUpdate(approveFailback, { args: [{ actor: request.actor, requestId }], ...asRequest });
        if (r.result === 'approved') return { status: 'ok', ...base, after: r, reply: said(`${who} approved fail-back of ${r.routes.join(', ')} in ${ref.incidentId}: traffic returns to the primary path`, ref.incidentId) };
        if (r.result === 'retrying') return { status: 'ok', ...base, after: r, reply: said(`${who} asked for the failed fail-back of ${r.routes.join(', ')} in ${ref.incidentId} to be attempted again: running now`, ref.incidentId) };
        return { status: 'ok', ...base, after: r, reply: said(`nothing awaits approval in ${ref.incidentId}: fail-back runs once the primary path has been healthy for the policy's delay`, ref.incidentId, true) };
      }
      case 'resolve': {
        const r = await handle.executeUpdate(resolve, { args: [{ actor: request.actor, note: command.note, requestId }], ...asRequest });
        if (r.result === 'already_resolved') return { status: 'ok', ...base, after: r, reply: said(`${ref.incidentId} is already being resolved`, ref.incidentId, true) };
        if (r.result === 'resolving') return { status: 'ok', ...base, after: { ...r, note: command.note }, reply: said(`${who} resolved ${ref.incidentId}${command.note ? `: ${command.note}` : ''}. ${r.detail}`, ref.incidentId) };
        return { status: 'ok', ...base, after: { ...r, note: command.note }, reply: said(`${who} resolved ${ref.incidentId}${command.note ? `: ${command.note}` : ''}`, ref.incidentId) };
      }
      default:
        return refused(`${command.name} does not change an incident`);
    }
  } catch (err) {
    return refused(explainUpdateError(ref.incidentId, err), { status: 'error', ...base });
  }
}

function explainUpdateError(incidentId: string, err: unknown): string {
  if (err instanceof WorkflowNotFoundError) return `${incidentId} is no longer running (it has ended)`;
  if (err instanceof WorkflowUpdateFailedError) return `${incidentId} refused: ${err.cause?.message ?? err.message}`;
  throw err;
}

async function startMaintenance(deps: CoreDeps, request: CommandRequest, command: Extract<Command, { name: 'maint' }>): Promise<Acted> {
  const base = { target: { kind: 'route', id: command.route }, routeId: command.route };
  if (command.durationSec < 60 || command.durationSec > MAINTENANCE_LIMIT_SEC) return refused(`a maintenance window lasts between 1 minute and 7 days`, { status: 'refused', ...base });
  const now = new Date();
  // Keyed like the request's audit entry: a retried request opens the window once.
  const window = await openMaintenanceWindow(deps.models, {
    key: `${request.actor.platform}:${request.requestId}`,
    routeId: command.route,
    start: now,
    end: new Date(now.getTime() + command.durationSec * 1000),
    reason: command.reason ?? `maintenance by ${request.actor.name ?? request.actor.id}`,
    createdBy: request.actor,
  });
  if (!window) return refused(`there is no route ${command.route}`, { status: 'refused', ...base });
  const { start, end, reason } = window;
  const text = `${request.actor.name ?? request.actor.id} put ${command.route} in maintenance until ${end.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${reason}. Outages on it are recorded, not paged.`;
  return { status: 'ok', ...base, after: { maintenance: { start, end, reason } }, reply: said(text) };
}
