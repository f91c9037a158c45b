import type { Models } from '../../src/models';
import { incidentRunbooks, runbookUrl, type RunbookSource } from '../../src/runbooks/load-runbooks';
import { ROUTE_VIEW_LIMIT, type IncidentView, type RouteImpactView } from './incident-view';


export interface ViewDeps {
  models: Pick<Models, 'Incident' | 'RouteRecord' | 'RouteHealthSnapshot'>;
  runbooks: RunbookSource;
  runbookBaseUrl?: string;
}

const DOWNSTREAM_LIMIT = 50;
const CUSTOMER_ROUTE_LIMIT = 1000;
const RECOMMENDED_CHECKS = 3;

const iso = (d?: Date | null) => (d ? d.toISOString() : undefined);

/** Builds what an operator sees of an incident; undefined when there is no such incident. */
export async function loadIncidentView(deps: ViewDeps, incidentId: string, opts: { customers: boolean }): Promise<IncidentView | undefined> {
  const { models } = deps;
  const incident = await models.Incident.findById(incidentId).lean();
  if (!incident) return undefined;
  const shownIds = incident.routes.slice(0, ROUTE_VIEW_LIMIT);
  const routes = await models.RouteRecord.find({ _id: { $in: shownIds } }).lean();
  const byId = new Map(routes.map((r) => [r._id, r]));
  const latest = await Promise.all(shownIds.map((id) => models.RouteHealthSnapshot.findOne({ routeId: id }).sort({ at: -1 }).lean()));

  const routeViews: RouteImpactView[] = shownIds.map((id, i) => {
    const route = byId.get(id);
    const snap = latest[i];
    const primary = route?.paths.find((p) => p.role === 'primary')?.id;
    return {
      id,
      name: route?.name ?? id,
      health: snap?.status ?? 'unknown',
      score: snap?.score,
      latencyMs: snap?.latencyMs ?? undefined,
      lossPct: snap?.lossPct ?? undefined,
      jitterMs: snap?.jitterMs ?? undefined,
      lastHealthyAt: iso(snap?.lastHealthyAt),
      taxonomy: snap?.taxonomy ?? [],
      signals: (snap?.sources ?? []).map((s) => ({ kind: s.kind, status: s.status, ...(s.detail ? { detail: s.detail } : {}) })),
      primaryPath: primary,
      activePath: i === 0 && incident.activePath ? incident.activePath : primary,
    };
  });

  const dependencies = [...new Set([...(incident.dependency ? [incident.dependency] : []), ...routes.flatMap((r) => r.dependencies)])];
  const downstream = dependencies.length
    ? await models.RouteRecord.find({ dependencies: { $in: dependencies }, _id: { $nin: incident.routes } }, { _id: 1 }).limit(DOWNSTREAM_LIMIT).lean()
    : [];
  const withCustomers = await models.RouteRecord.find({ _id: { $in: incident.routes.slice(0, CUSTOMER_ROUTE_LIMIT) } }, { customerIds: 1 }).select('+customerIds').lean();
  const customers = [...new Set(withCustomers.flatMap((r) => r.customerIds ?? []))].sort();

  const taxonomy = [...new Set(routeViews.flatMap((r) => r.taxonomy))];
  const runbooks = incidentRunbooks(deps.runbooks, routes, taxonomy);
  return {
    incidentId,
    severity: incident.severity,
    state: incident.state,
    trigger: incident.trigger ?? undefined,
    detectedAt: incident.detectedAt.toISOString(),
    acknowledgedAt: iso(incident.acknowledgedAt),
    acknowledgedBy: incident.acknowledgedBy ? (incident.acknowledgedBy.name ?? incident.acknowledgedBy.id) : undefined,
    failedOverAt: iso(incident.failedOverAt),
    failedBackAt: iso(incident.failedBackAt),
    resolvedAt: iso(incident.resolvedAt),
    summary: incident.summary ?? undefined,
    mttaSec: incident.mttaSec ?? undefined,
    mttrSec: incident.mttrSec ?? undefined,
    ownerTeams: [...new Set(routes.map((r) => r.owner.team))],
    dependency: incident.dependency ?? undefined,
    dependencies,
    routes: routeViews,
    routeCount: incident.routes.length,
    downstreamRoutes: downstream.map((r) => r._id),
    ...(opts.customers ? { customers } : {}),
    customerCount: customers.length,
    runbooks: runbooks.map((r) => ({ id: r.id, title: r.title, url: runbookUrl(r.id, deps.runbookBaseUrl) })),
    recommendedChecks: runbooks.flatMap((r) => r.checklist.map((c) => c.text)).slice(0, RECOMMENDED_CHECKS),
  };
}

