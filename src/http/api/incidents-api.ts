import { z } from 'zod';
import type { IncidentDoc } from '../../models/incident';
import { CLOSED_STATES, INCIDENT_STATES } from '../../models/incident';
import { SEVERITIES } from '../../models/shared';
import { sendError } from '../api-errors';
import type { HttpServer } from '../server';
import { errorResponses, isoDate, pageQuery, type ApiV1Deps } from './api-schemas';

const TAGS = ['incidents'];
export const incidentParams = z.object({ id: z.string().regex(/^inc-[a-z0-9._:-]{1,120}$/, 'not an incident id (inc-…)') });
const actor = z.object({ platform: z.string(), id: z.string(), name: z.string().optional() });
const incidentSummary = z.object({
  id: z.string(),
  state: z.enum(INCIDENT_STATES),
  severity: z.enum(SEVERITIES),
  routes: z.array(z.string()),
  dependency: z.string().optional(),
  trigger: z.string().optional(),
  summary: z.string().optional(),
  activePath: z.string().optional(),
  detectedAt: z.string(),
  acknowledgedAt: z.string().optional(),
  acknowledgedBy: actor.optional(),
  failedOverAt: z.string().optional(),
  failedBackAt: z.string().optional(),
  resolvedAt: z.string().optional(),
  mttaSec: z.number().optional(),
  mttrSec: z.number().optional(),
});

/** Cursor of the incident list (newest first): the last row's detection time and id. */
const encodeCursor = (i: { detectedAt: Date; _id: string }) => Buffer.from(`${i.detectedAt.toISOString()}|${i._id}`).toString('base64url');
function decodeCursor(cursor: string): { detectedAt: Date; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const detectedAt = new Date(at ?? '');
  return id && !Number.isNaN(detectedAt.getTime()) ? { detectedAt, id } : undefined;
}

/** Incidents: the list (open, closed or all, newest first) and one with its timeline, executor runs and checklist. */
export function registerIncidentsApi(app: HttpServer, { models, auth }: ApiV1Deps): void {
  app.get('/api/v1/incidents', {
    preHandler: auth.requireScope('read'),
    schema: {
      tags: TAGS,
      summary: 'List incidents, newest first',
      querystring: z.object({ state: z.enum(['open', 'closed', 'all']).default('open'), ...pageQuery }),
      response: { 200: z.object({ incidents: z.array(incidentSummary), nextCursor: z.string().optional() }), ...errorResponses(400, 401, 403) },
    },
  }, async (req, reply) => {
    const { state, limit, cursor } = req.query;
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (cursor && !after) return sendError(reply, 400, 'invalid request querystring', ['cursor: not a cursor from this list']);
    const filter = {
      ...(state === 'open' ? { state: { $nin: CLOSED_STATES } } : state === 'closed' ? { state: { $in: CLOSED_STATES } } : {}),
      ...(after ? { $or: [{ detectedAt: { $lt: after.detectedAt } }, { detectedAt: after.detectedAt, _id: { $lt: after.id } }] } : {}),
    };
    const rows = await models.Incident.find(filter).sort({ detectedAt: -1, _id: -1 }).limit(limit + 1).lean();
    const page = rows.slice(0, limit);
    return { incidents: page.map(incidentSummaryOf), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : undefined };
  });

  app.get('/api/v1/incidents/:id', {
    preHandler: auth.requireScope('read'),
    schema: {
      tags: TAGS,
      summary: 'One incident with its timeline, executor runs and checklist',
      params: incidentParams,
      response: {
        200: incidentSummary.extend({
          timeline: z.array(z.object({ at: z.string(), kind: z.string(), message: z.string(), actor: actor.optional(), data: z.unknown().optional() })),
          executorRuns: z.array(z.object({
            id: z.string(), routeId: z.string(), policyId: z.string(), direction: z.enum(['failover', 'failback']), fromPathId: z.string(), toPathId: z.string(),
            kind: z.string(), status: z.enum(['running', 'finished']), startedAt: z.string(), finishedAt: z.string().optional(), ok: z.boolean().optional(), detail: z.string().optional(),
          })),
          checklist: z.array(z.object({ id: z.string(), runbookId: z.string(), text: z.string(), done: z.boolean(), doneBy: actor.optional(), doneAt: z.string().optional() })),
        }),
        ...errorResponses(400, 401, 403, 404),
      },
    },
  }, async (req, reply) => {
    const incident = await models.Incident.findById(req.params.id).lean();
    if (!incident) return sendError(reply, 404, `no incident ${req.params.id}`);
    const [timeline, runs, tasks] = await Promise.all([
      models.TimelineEvent.find({ incidentId: incident._id }).sort({ at: 1, _id: 1 }).lean(),
      models.ExecutorRun.find({ incidentId: incident._id }).sort({ startedAt: 1 }).lean(),
      models.RemediationTask.find({ incidentId: incident._id }).sort({ _id: 1 }).lean(),
    ]);
    return {
      ...incidentSummaryOf(incident),
      timeline: timeline.map((e) => ({ at: isoDate(e.at)!, kind: e.kind, message: e.message, actor: actorOf(e.actor), data: (e.data as unknown) ?? undefined })),
      executorRuns: runs.map((r) => ({
        id: r._id, routeId: r.routeId, policyId: r.policyId, direction: r.direction, fromPathId: r.fromPathId, toPathId: r.toPathId,
        kind: r.kind, status: r.status, startedAt: isoDate(r.startedAt)!, finishedAt: isoDate(r.finishedAt), ok: r.ok ?? undefined, detail: r.detail ?? undefined,
      })),
      checklist: tasks.map((t) => ({ id: t._id, runbookId: t.runbookId, text: t.text, done: t.done, doneBy: actorOf(t.doneBy), doneAt: isoDate(t.doneAt) })),
    };
  });
}

/** Lean documents carry null for absent optional fields; the API leaves them out. */
const orUndefined = <T>(v: T | null | undefined) => v ?? undefined;
const actorOf = (a: { platform: string; id: string; name?: string | null } | null | undefined) => (a ? { platform: a.platform, id: a.id, name: orUndefined(a.name) } : undefined);

function incidentSummaryOf(i: IncidentDoc & { _id: string }): z.infer<typeof incidentSummary> {
  return {
    id: i._id,
    state: i.state,
    severity: i.severity,
    routes: i.routes,
    dependency: orUndefined(i.dependency),
    trigger: orUndefined(i.trigger),
    summary: orUndefined(i.summary),
    activePath: orUndefined(i.activePath),
    detectedAt: isoDate(i.detectedAt)!,
    acknowledgedAt: isoDate(i.acknowledgedAt),
    acknowledgedBy: actorOf(i.acknowledgedBy),
    failedOverAt: isoDate(i.failedOverAt),
    failedBackAt: isoDate(i.failedBackAt),
    resolvedAt: isoDate(i.resolvedAt),
    mttaSec: orUndefined(i.mttaSec),
    mttrSec: orUndefined(i.mttrSec),
  };
}
