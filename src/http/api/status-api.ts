import { z } from 'zod';
import { id } from '../../directory/schema';
import { HEALTH_STATUSES } from '../../models/shared';
import { sendError } from '../api-errors';
import type { HttpServer } from '../server';
import { errorResponses, type ApiV1Deps } from './api-schemas';
import type { StatusViews } from './status-view';

const statusRow = z.object({
  routeId: z.string(),
  name: z.string(),
  team: z.string(),
  environment: z.string(),
  status: z.enum(HEALTH_STATUSES),
  score: z.number(),
  at: z.string().optional().describe('when it was measured; absent: never measured'),
  latencyMs: z.number().optional(),
  lossPct: z.number().optional(),
  jitterMs: z.number().optional(),
  lastHealthyAt: z.string().optional(),
  taxonomy: z.array(z.string()),
});
const counts = z.object(Object.fromEntries(HEALTH_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof HEALTH_STATUSES)[number], z.ZodNumber>);

/** Current status: of every route (with counts by status) and of one. Served from the status board, never from snapshots. */
export function registerStatusApi(app: HttpServer, { auth, models }: ApiV1Deps, views: StatusViews): void {
  app.get('/api/v1/status', {
    preHandler: auth.requireScope('read'),
    schema: {
      tags: ['status'],
      summary: 'Current status of every route',
      description: 'From the sweepers’ status board (rewritten every ~2 s), served from a copy reloaded every 2 s (so up to ~4 s behind the measurements); route names and teams may lag directory changes by up to 10 s. `counts` covers all routes, `routes` only those matching `?status=`.',
      querystring: z.object({ status: z.enum(HEALTH_STATUSES).optional() }),
      response: { 200: z.object({ at: z.string(), counts, routes: z.array(statusRow) }), ...errorResponses(400, 401, 403) },
    },
  }, async (req, reply) => {
    const view = await views.current();
    const key = req.query.status ?? 'all';
    let body = view.bodies.get(key);
    if (body === undefined) {
      const routes = req.query.status ? view.rows.filter((r) => r.status === req.query.status) : view.rows;
      body = Buffer.from(JSON.stringify({ at: view.at, counts: view.counts, routes }));
      view.bodies.set(key, body);
    }
    // A ready body is sent as is: the rows are built to the schema above, and re-validating 5,000 of them per request is what the cache avoids.
    return reply.type('application/json').send(body as never);
  });

  app.get('/api/v1/routes/:id/status', {
    preHandler: auth.requireScope('read'),
    schema: { tags: ['status'], summary: 'Current status of one route', params: z.object({ id: id() }), response: { 200: statusRow, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    const row = (await views.current()).byId.get(req.params.id);
    if (row) return row;
    // Created since the directory was last read?
    if (await models.RouteRecord.exists({ _id: req.params.id })) {
      views.forget();
      const fresh = (await views.current()).byId.get(req.params.id);
      if (fresh) return fresh;
    }
    return sendError(reply, 404, `no route ${req.params.id}`);
  });
}
