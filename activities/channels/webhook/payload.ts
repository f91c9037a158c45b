import type { Models } from '../../../src/models';
import type { RenderedMessage } from '../../notify';

/** What the incident looked like when the delivery was first attempted. */
const INCIDENT_FIELDS = {
  _id: 0,
  state: 1,
  severity: 1,
  routes: 1,
  dependency: 1,
  trigger: 1,
  activePath: 1,
  detectedAt: 1,
  acknowledgedAt: 1,
  acknowledgedBy: 1,
  failedOverAt: 1,
  failedBackAt: 1,
  resolvedAt: 1,
  summary: 1,
  mttaSec: 1,
  mttrSec: 1,
} as const;

/**
 * The JSON body of a delivery: the notification as rendered, plus the incident's recorded
 * state (null when it has no record yet). `id` is the delivery id, also X-StateTrace-Delivery.
 */
export async function renderWebhookPayload(models: Pick<Models, 'Incident'>, deliveryId: string, msg: RenderedMessage): Promise<string> {
  const incident = await models.Incident.findById(msg.incidentId, INCIDENT_FIELDS).lean();
  return JSON.stringify({
    id: deliveryId,
    event: msg.kind,
    incidentId: msg.incidentId,
    severity: msg.severity,
    routes: msg.routes,
    title: msg.title,
    text: msg.text,
    paged: msg.page,
    occurredAt: new Date().toISOString(),
    incident,
  });
}
