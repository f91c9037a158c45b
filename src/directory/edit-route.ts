import type { Error as MongooseError } from 'mongoose';
import type { Actor } from '../../activities/outage-contract';
import type { Models } from '../models';
import { CLOSED_STATES } from '../models/incident';
import { checkReferences } from './check-references';
import { routeDocument } from './import-routes';
import { formatFieldPath } from './parse-route-file';
import type { RouteFile, RouteSpec } from './schema';

/**
 * One route changed outside routes.yaml (PUT/DELETE /api/v1/routes/:id), with the importer's
 * rules: the body has passed `routeSchema`; here the references are checked against what the
 * directory holds, the model validates, and every change is audited.
 */

export type RouteEdit = { ok: true; created: boolean } | { ok: false; status: 404 | 409 | 400; error: string; details?: string[] };

type EditModels = Pick<Models, 'RouteRecord' | 'RouteClass' | 'Team' | 'Dependency' | 'EscalationPolicy' | 'FailoverPolicy' | 'Incident' | 'AuditEntry' | 'MaintenanceWindow'>;

/**
 * Creates or replaces one route; the body's maintenance windows replace the declared ones. Windows
 * opened by `maint` are MaintenanceWindow documents, which this never writes; the chat windows
 * that route documents held before those existed are carried over.
 */
export async function putRoute(models: EditModels, spec: RouteSpec, actor: Actor): Promise<RouteEdit> {
  const referenceProblems = checkReferences(await fileOfDirectoryWith(models, spec)).map((p) => `${formatFieldPath(p.path.slice(2))}: ${p.message}`);
  if (referenceProblems.length > 0) return { ok: false, status: 400, error: 'the route refers to what the directory does not hold', details: referenceProblems };

  const now = new Date();
  const old = await models.RouteRecord.findById(spec.id).select('+customerIds').lean();
  const doc = routeDocument(spec, { maintenanceSource: 'api', source: { file: `api:${actor.name ?? actor.id}`, importedAt: now } });
  doc.maintenance = [...keepFileProvenance(doc.maintenance as Window[], old?.maintenance ?? []), ...(old?.maintenance ?? []).filter((w) => w.source === 'chat')];
  try {
    await new models.RouteRecord(doc).validate();
  } catch (err) {
    const errors = Object.values((err as MongooseError.ValidationError).errors ?? {});
    return { ok: false, status: 400, error: 'invalid route', details: errors.map((e) => `${e.path}: ${e.message}`) };
  }
  await models.RouteRecord.replaceOne({ _id: spec.id }, { ...doc, createdAt: old?.createdAt ?? now, updatedAt: now }, { upsert: true, timestamps: false });
  await models.AuditEntry.create({
    actor,
    action: old ? 'route.replace' : 'route.create',
    target: { kind: 'route', id: spec.id },
    routeId: spec.id,
    outcome: 'ok',
    before: old ? withoutCustomers(old) : undefined,
    after: withoutCustomers(doc),
  });
  return { ok: true, created: !old };
}

/** Removes a route and its run-time maintenance windows, unless an incident on it is still open (its workflow would lose its route). */
export async function deleteRoute(models: EditModels, routeId: string, actor: Actor): Promise<RouteEdit> {
  const old = await models.RouteRecord.findById(routeId).lean();
  if (!old) return { ok: false, status: 404, error: `no route ${routeId}` };
  const open = await models.Incident.find({ routes: routeId, state: { $nin: CLOSED_STATES } }, { _id: 1 }).limit(5).lean();
  if (open.length > 0) return { ok: false, status: 409, error: `route ${routeId} has an open incident; resolve it first`, details: open.map((i) => `open incident: ${i._id}`) };
  await models.RouteRecord.deleteOne({ _id: routeId });
  await models.MaintenanceWindow.deleteMany({ routeId });
  await models.AuditEntry.create({ actor, action: 'route.delete', target: { kind: 'route', id: routeId }, routeId, outcome: 'ok', before: old });
  return { ok: true, created: false };
}

type Window = { start: Date; end: Date; reason: string; source: string };

/**
 * A window of the body that the route file declared (GET hands it out, PUT sends it back) stays
 * the file's: the next import replaces it instead of keeping a copy beside the file's own.
 */
function keepFileProvenance(body: Window[], old: Window[]): Window[] {
  const fromFile = old.filter((w) => w.source === 'file');
  const same = (a: Window, b: Window) => a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime() && a.reason === b.reason;
  return body.map((w) => (fromFile.some((f) => same(f, w)) ? { ...w, source: 'file' } : w));
}

/** Customer identifiers are sensitive: the audit log records that they changed, not what they are. */
const withoutCustomers = ({ customerIds: _c, ...doc }: Record<string, unknown>) => doc;

/**
 * A route file holding the directory's declared ids and this one route, so `checkReferences`
 * (the importer's check) judges the route's references against the database.
 */
async function fileOfDirectoryWith(models: EditModels, route: RouteSpec): Promise<RouteFile> {
  const ids = (rows: { _id: string }[]) => rows.map((d) => ({ id: d._id }));
  const [classes, teams, dependencies, escalationPolicies, failoverPolicies] = await Promise.all([
    models.RouteClass.find({}, { _id: 1 }).lean<{ _id: string }[]>().then(ids),
    models.Team.find({}, { _id: 1 }).lean<{ _id: string }[]>().then(ids),
    models.Dependency.find({}, { _id: 1 }).lean<{ _id: string }[]>().then(ids),
    models.EscalationPolicy.find({}, { _id: 1 }).lean<{ _id: string }[]>().then(ids),
    models.FailoverPolicy.find({}, { _id: 1 }).lean<{ _id: string }[]>().then(ids),
  ]);
  // Only the ids matter here: escalation levels are the importer's to check, not this route's.
  return { version: 1, classes, teams, dependencies, escalationPolicies: escalationPolicies.map((p) => ({ ...p, levels: [] })), failoverPolicies, routes: [route] } as unknown as RouteFile;
}
