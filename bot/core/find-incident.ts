import type { IncidentState } from '../../activities/outage-contract';
import type { Models } from '../../src/models';
import { CLOSED_STATES } from '../../src/models/incident';


export type IncidentRef = { ok: true; incidentId: string; workflowId: string; state: IncidentState; routes: string[] } | { ok: false; reply: string };

/**
 * Which incident a command means: the one named, else the one the channel belongs to, else
 * the open incident of the named route, else the only open incident. Anything ambiguous is
 * a question back, never a guess.
 */
export async function findIncident(
  models: Pick<Models, 'Incident'>,
  hint: { incidentId?: string; channelIncidentId?: string; routeId?: string },
): Promise<IncidentRef> {
  const explicit = hint.incidentId ?? hint.channelIncidentId;
  if (explicit) {
    const incident = await models.Incident.findById(explicit, { workflowId: 1, state: 1, routes: 1 }).lean();
    if (!incident) return { ok: false, reply: `there is no incident ${explicit}` };
    return { ok: true, incidentId: incident._id, workflowId: incident.workflowId, state: incident.state, routes: incident.routes };
  }
  const filter = { state: { $nin: CLOSED_STATES }, ...(hint.routeId ? { routes: hint.routeId } : {}) };
  const open = await models.Incident.find(filter, { workflowId: 1, state: 1, routes: 1 }).sort({ detectedAt: -1 }).limit(6).lean();
  if (open.length === 1) return { ok: true, incidentId: open[0]!._id, workflowId: open[0]!.workflowId, state: open[0]!.state, routes: open[0]!.routes };
  const scope = hint.routeId ? ` for route ${hint.routeId}` : '';
  if (open.length === 0) return { ok: false, reply: `there is no open incident${scope}` };
  return { ok: false, reply: `several incidents are open${scope} (${open.slice(0, 5).map((i) => i._id).join(', ')}${open.length > 5 ? ', …' : ''}): name one, or run the command in its incident channel` };
}
