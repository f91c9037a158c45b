import { z } from 'zod';
import { id, routeSchema } from '../../directory/schema';
import { deleteRoute, putRoute } from '../../directory/edit-route';
import { formatFieldPath } from '../../directory/parse-route-file';
import { routePathProbeWarnings } from '../../directory/path-probe-warnings';
import { maintenanceOf } from '../../directory/maintenance-windows';
import { withoutSecrets, withStoredSecrets } from '../../directory/write-only-secrets';
import type { RouteRecordDoc } from '../../models/route';
import { mayViewCustomers } from '../../../bot/core/roles';
import { sendError } from '../api-errors';
import { apiIdentity } from '../auth';
import type { HttpServer } from '../server';
import { errorResponses, isoDate, pageQuery, type ApiV1Deps } from './api-schemas';

const TAGS = ['routes'];
const routeParams = z.object({ id: id() });
const routeSummary = z.object({ id: z.string(), name: z.string(), environment: z.string(), team: z.string(), primary: z.boolean(), class: z.string() });

/** The route directory: list, read, create or replace (the importer's validation), delete. */
export function registerRoutesApi(app: HttpServer, { models, auth }: ApiV1Deps): void {
  app.get('/api/v1/routes', {
    preHandler: auth.requireScope('read'),
    schema: {
      tags: TAGS,
      summary: 'List routes',
      description: '`q` matches id, name, owner team or environment (case-insensitive substring); ordered by id.',
      querystring: z.object({ q: z.string().min(1).max(100).optional(), ...pageQuery }),
      response: { 200: z.object({ routes: z.array(routeSummary), nextCursor: z.string().optional() }), ...errorResponses(400, 401, 403) },
    },
  }, async (req) => {
    const { q, limit, cursor } = req.query;
    const like = q ? new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i') : undefined;
    const filter = {
      ...(cursor ? { _id: { $gt: cursor } } : {}),
      ...(like ? { $or: [{ _id: like }, { name: like }, { 'owner.team': like }, { environment: like }] } : {}),
    };
    const rows = await models.RouteRecord.find(filter, { name: 1, environment: 1, owner: 1, primary: 1, routeClass: 1 }).sort({ _id: 1 }).limit(limit + 1).lean();
    const page = rows.slice(0, limit);
    return {
      routes: page.map((r) => ({ id: r._id, name: r.name, environment: r.environment, team: r.owner.team, primary: r.primary, class: r.routeClass })),
      nextCursor: rows.length > limit ? page[page.length - 1]!._id : undefined,
    };
  });

  app.get('/api/v1/routes/:id', {
    preHandler: auth.requireScope('read'),
    schema: {
      tags: TAGS,
      summary: 'One route, as routes.yaml declares it',
      description: '`route` can be sent back to PUT as is: SNMP communities show as `(write-only)`, which PUT takes for the stored value. customerIds are shown to write and admin tokens only. `chatMaintenance`: windows opened at run time by the `maint` command (PUT and file imports never remove them).',
      params: routeParams,
      response: {
        200: z.object({ route: z.looseObject({ id: z.string() }), chatMaintenance: z.array(z.looseObject({})), createdAt: z.string().optional(), updatedAt: z.string().optional() }),
        ...errorResponses(401, 403, 404),
      },
    },
  }, async (req, reply) => {
    const withCustomers = mayViewCustomers(apiIdentity(req.apiCaller!).role);
    const query = models.RouteRecord.findById(req.params.id);
    const doc = await (withCustomers ? query.select('+customerIds') : query).lean();
    if (!doc) return sendError(reply, 404, `no route ${req.params.id}`);
    return {
      route: routeSpecOf(doc),
      chatMaintenance: (await maintenanceOf(models, doc)).filter((w) => w.source === 'chat').map((w) => ({ ...w, start: isoDate(w.start), end: isoDate(w.end) })),
      createdAt: isoDate(doc.createdAt),
      updatedAt: isoDate(doc.updatedAt),
    };
  });

  app.put('/api/v1/routes/:id', {
    preHandler: auth.requireScope('admin'),
    schema: {
      tags: TAGS,
      summary: 'Create or replace one route',
      description: 'The body is one entry of routes.yaml `routes:` with the same validation as `statetrace routes import`; its class, owner team, dependencies and policies must exist in the directory. Windows opened from chat are kept.',
      params: routeParams,
      body: routeSchema,
      response: {
        200: z.object({ id: z.string(), created: z.literal(false), warnings: z.array(z.string()) }),
        201: z.object({ id: z.string(), created: z.literal(true), warnings: z.array(z.string()) }),
        ...errorResponses(400, 401, 403, 413),
      },
    },
  }, async (req, reply) => {
    if (req.body.id !== req.params.id) return sendError(reply, 400, 'invalid request body', [`id: "${req.body.id}" does not match the path's route id "${req.params.id}"`]);
    // A route read from GET comes back with its communities write-only: they keep their stored values.
    const stored = await models.RouteRecord.findById(req.params.id, { probes: 1, paths: 1 }).lean();
    const { route, problems } = withStoredSecrets(req.body, stored ?? undefined);
    if (problems.length > 0) return sendError(reply, 400, 'invalid request body', problems);
    const result = await putRoute(models, route, apiIdentity(req.apiCaller!).actor);
    if (!result.ok) return sendError(reply, result.status, result.error, result.details);
    // The import's advice (`routes import` prints the same), e.g. a primary path probe that follows the active route.
    const warnings = routePathProbeWarnings(req.body).map((w) => `${formatFieldPath(w.path)}: ${w.message}`);
    return reply.code(result.created ? 201 : 200).send({ id: req.params.id, created: result.created, warnings });
  });

  app.delete('/api/v1/routes/:id', {
    preHandler: auth.requireScope('admin'),
    schema: { tags: TAGS, summary: 'Delete a route (refused while it has an open incident)', params: routeParams, response: { 200: z.object({ id: z.string(), deleted: z.literal(true) }), ...errorResponses(401, 403, 404, 409) } },
  }, async (req, reply) => {
    const result = await deleteRoute(models, req.params.id, apiIdentity(req.apiCaller!).actor);
    if (!result.ok) return sendError(reply, result.status, result.error, result.details);
    return { id: req.params.id, deleted: true as const };
  });
}

/** A stored route back in routes.yaml form (the inverse of the importer's routeDocument; chat windows left out). */
function routeSpecOf({ _id, routeClass, maintenance, source: _s, createdAt: _c, updatedAt: _u, __v: _v, ...rest }: RouteRecordDoc & { _id: string; __v?: number }) {
  return {
    id: _id,
    ...withoutSecrets(rest),
    class: routeClass,
    maintenance: maintenance.filter((w) => w.source !== 'chat').map((w) => ({ start: isoDate(w.start)!, end: isoDate(w.end)!, reason: w.reason })),
  };
}
