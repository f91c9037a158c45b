import { incidentRunbooks, type RunbookSource } from '../runbooks/load-runbooks';
import type { Models } from '../models';
import { runbookUrl } from '../runbooks/load-runbooks';
import { CHART_ROUTE_LIMIT, loadChartSeries, usableCache, type ChartSeries } from './chart-series';
import { chartWindow, seriesSettleMs, windowClosed } from './chart-window';
import type { PacketActor } from './format';

/**
 * Everything an incident packet shows, read from MongoDB. The header is built here rather
 * than with loadIncidentView: that reads each route's latest snapshot with a sorted query,
 * which FerretDB 1.x answers with a full scan of the snapshots (5.5 s each at 86,400 docs),
 * and a packet is about the incident's own times, not the routes' health now.
 */

export type PacketModels = Pick<Models, 'Incident' | 'RouteRecord' | 'RouteHealthSeries' | 'RecentHealthSample' | 'RouteTransition' | 'TimelineEvent' | 'ExecutorRun' | 'RemediationTask' | 'IncidentPacket'>;

export interface PacketDataDeps {
  models: PacketModels;
  runbooks: RunbookSource;
  runbookBaseUrl?: string;
  /** The sweeper's series flush interval (STATETRACE_SERIES_FLUSH_SEC): until the series surely hold a minute, charts read it from the recent samples. */
  seriesFlushMs?: number;
  now?: () => Date;
}

export interface PacketRoute {
  id: string;
  name: string;
  environment?: string;
  ownerTeam?: string;
  primaryPath?: string;
  dependencies: string[];
}

export interface PacketMilestone {
  label: string;
  at?: string;
  by?: PacketActor;
}

export interface PacketTimelineEntry {
  at: string;
  kind: string;
  message: string;
  by?: PacketActor;
}

export interface PacketFailover {
  direction: 'failover' | 'failback';
  routeId: string;
  routeName: string;
  fromPath: string;
  toPath: string;
  executor: string;
  status: string;
  /** undefined while the run has no outcome. */
  ok?: boolean;
  detail?: string;
  startedAt: string;
  finishedAt?: string;
  durationSec?: number;
}

export interface PacketChecklistItem {
  runbookId: string;
  itemId: string;
  text: string;
  done: boolean;
  doneBy?: PacketActor;
  doneAt?: string;
}

export interface PacketRunbook {
  id: string;
  title: string;
  url?: string;
  /** followed: the incident has checklist tasks from it; matched: it fits the routes or failure. */
  use: 'followed' | 'matched';
  done: number;
  total: number;
}

export interface PacketData {
  incidentId: string;
  generatedAt: string;
  severity: string;
  state: string;
  trigger?: string;
  summary?: string;
  routes: PacketRoute[];
  routeCount: number;
  ownerTeams: string[];
  dependency?: string;
  dependencies: string[];
  customerCount: number;
  detectedAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: PacketActor;
  failedOverAt?: string;
  failedBackAt?: string;
  resolvedAt?: string;
  activePath?: string;
  mttaSec?: number;
  mttrSec?: number;
  milestones: PacketMilestone[];
  timeline: PacketTimelineEntry[];
  failovers: PacketFailover[];
  checklist: PacketChecklistItem[];
  runbooks: PacketRunbook[];
  /** Everyone who acted (timeline, acknowledgement, checklist), by display name, sorted. */
  people: string[];
  charts: ChartSeries & { routeNames: Record<string, string>; source: 'minute series' | 'minute series and recent samples' | 'stored packet'; cacheable: boolean };
}

/** Routes listed in the title block (the incident's first ones; routeCount has them all). */
export const PACKET_ROUTE_LIMIT = 25;
const TIMELINE_LIMIT = 2000;

const iso = (d?: Date | null) => (d ? d.toISOString() : undefined);
const actorOf = (a?: { platform: string; id: string; name?: string | null } | null): PacketActor | undefined =>
  a ? { platform: a.platform, id: a.id, ...(a.name ? { name: a.name } : {}) } : undefined;
const secondsBetween = (a?: Date | null, b?: Date | null) => (a && b ? Math.max(0, (b.getTime() - a.getTime()) / 1000) : undefined);

/** Everything a packet shows of an incident; undefined when there is no such incident. */
export async function loadPacketData(deps: PacketDataDeps, incidentId: string): Promise<PacketData | undefined> {
  const { models } = deps;
  const now = deps.now?.() ?? new Date();
  const incident = await models.Incident.findById(incidentId).lean();
  if (!incident) return undefined;
  const routeIds = incident.routes.slice(0, PACKET_ROUTE_LIMIT);
  const chartIds = incident.routes.slice(0, CHART_ROUTE_LIMIT);
  const settleMs = seriesSettleMs(deps.seriesFlushMs);
  const window = chartWindow(incident.detectedAt, incident.resolvedAt ?? undefined, now, settleMs);
  const periodEnd = incident.resolvedAt ?? now;

  const [routes, events, runs, tasks, transitions, withCustomers, stored] = await Promise.all([
    models.RouteRecord.find({ _id: { $in: routeIds } }).lean(),
    models.TimelineEvent.find({ incidentId }).sort({ at: 1, _id: 1 }).limit(TIMELINE_LIMIT).lean(),
    models.ExecutorRun.find({ incidentId }).sort({ startedAt: 1 }).lean(),
    models.RemediationTask.find({ incidentId }).sort({ _id: 1 }).lean(),
    models.RouteTransition.find({ routeId: { $in: chartIds }, at: { $gte: incident.detectedAt, $lte: periodEnd } }, { taxonomy: 1, kind: 1 }).lean(),
    models.RouteRecord.find({ _id: { $in: incident.routes } }, { customerIds: 1 }).select('+customerIds').lean(),
    models.IncidentPacket.findById(incidentId, { charts: 1 }).lean(),
  ]);
  const kept: unknown = stored?.charts;
  const cached = usableCache(kept, chartIds, window, settleMs);
  const series: ChartSeries = cached ? kept : await loadChartSeries(models, chartIds, window, now);

  const byId = new Map(routes.map((r) => [r._id, r]));
  const routeName = (id: string) => byId.get(id)?.name ?? id;
  const packetRoutes: PacketRoute[] = routeIds.map((id) => {
    const r = byId.get(id);
    return {
      id,
      name: r?.name ?? id,
      environment: r?.environment,
      ownerTeam: r?.owner.team,
      primaryPath: r?.paths.find((p) => p.role === 'primary')?.id,
      dependencies: r?.dependencies ?? [],
    };
  });
  const dependencies = [...new Set([...(incident.dependency ? [incident.dependency] : []), ...routes.flatMap((r) => r.dependencies)])];

  const timeline: PacketTimelineEntry[] = events.map((e) => ({ at: e.at.toISOString(), kind: e.kind, message: e.message, by: actorOf(e.actor) }));
  const firstBy = (...kinds: string[]) => events.find((e) => kinds.includes(e.kind) && e.actor)?.actor;
  const failovers: PacketFailover[] = runs.map((r) => ({
    direction: r.direction,
    routeId: r.routeId,
    routeName: routeName(r.routeId),
    fromPath: r.fromPathId,
    toPath: r.toPathId,
    executor: r.kind,
    status: r.status,
    ...(typeof r.ok === 'boolean' ? { ok: r.ok } : {}),
    ...(r.detail ? { detail: r.detail } : {}),
    startedAt: r.startedAt.toISOString(),
    ...(r.finishedAt ? { finishedAt: r.finishedAt.toISOString(), durationSec: secondsBetween(r.startedAt, r.finishedAt) } : {}),
  }));
  // In the runbook's order (tasks are stored by id), items of unknown runbooks last.
  const rank = (t: { runbookId: string; itemId: string }) => {
    const i = deps.runbooks.get(t.runbookId)?.checklist.findIndex((c) => c.id === t.itemId) ?? -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const ordered = [...tasks].sort((a, b) => a.runbookId.localeCompare(b.runbookId) || rank(a) - rank(b));
  const checklist: PacketChecklistItem[] = ordered.map((t) => ({
    runbookId: t.runbookId,
    itemId: t.itemId,
    text: t.text,
    done: t.done,
    ...(t.doneBy ? { doneBy: actorOf(t.doneBy) } : {}),
    ...(t.doneAt ? { doneAt: t.doneAt.toISOString() } : {}),
  }));

  const acknowledgedBy = actorOf(incident.acknowledgedBy) ?? actorOf(firstBy('acknowledged'));
  const milestones: PacketMilestone[] = [
    { label: 'Detected', at: incident.detectedAt.toISOString() },
    { label: 'Acknowledged', at: iso(incident.acknowledgedAt), by: acknowledgedBy },
    { label: 'Failed over', at: iso(incident.failedOverAt), by: actorOf(firstBy('failed_over', 'failover_started')) },
    { label: 'Failed back', at: iso(incident.failedBackAt), by: actorOf(firstBy('failback_approved', 'failed_back')) },
    { label: 'Resolved', at: iso(incident.resolvedAt), by: actorOf(firstBy('resolved')) },
  ];

  // Failure taxonomy seen during the incident, plus the lifecycle events runbooks match on.
  const taxonomy = new Set(transitions.flatMap((t) => t.taxonomy));
  if (transitions.some((t) => t.kind === 'flapping')) taxonomy.add('flapping');
  if (events.some((e) => e.kind === 'failover_attempt_failed') || runs.some((r) => r.ok === false)) taxonomy.add('failover_failed');
  const runbooks = packetRunbooks(deps, routes, [...taxonomy], checklist);

  const people = new Set<string>();
  for (const a of [acknowledgedBy, ...timeline.map((e) => e.by), ...checklist.map((c) => c.doneBy)]) {
    if (a && a.platform !== 'system') people.add(a.name ?? a.id);
  }
  const customers = new Set(withCustomers.flatMap((r) => r.customerIds ?? []));

  return {
    incidentId,
    generatedAt: now.toISOString(),
    severity: incident.severity,
    state: incident.state,
    trigger: incident.trigger ?? undefined,
    summary: incident.summary ?? undefined,
    routes: packetRoutes,
    routeCount: incident.routes.length,
    ownerTeams: [...new Set(routes.map((r) => r.owner.team))],
    dependency: incident.dependency ?? undefined,
    dependencies,
    customerCount: customers.size,
    detectedAt: incident.detectedAt.toISOString(),
    acknowledgedAt: iso(incident.acknowledgedAt),
    acknowledgedBy,
    failedOverAt: iso(incident.failedOverAt),
    failedBackAt: iso(incident.failedBackAt),
    resolvedAt: iso(incident.resolvedAt),
    activePath: incident.activePath ?? undefined,
    mttaSec: incident.mttaSec ?? secondsBetween(incident.detectedAt, incident.acknowledgedAt),
    mttrSec: incident.mttrSec ?? secondsBetween(incident.detectedAt, incident.resolvedAt),
    milestones,
    timeline,
    failovers,
    checklist,
    runbooks,
    people: [...people].sort((a, b) => a.localeCompare(b)),
    charts: {
      ...series,
      routeNames: Object.fromEntries(chartIds.map((id) => [id, routeName(id)])),
      source: cached ? 'stored packet' : series.raw ? 'minute series and recent samples' : 'minute series',
      cacheable: !cached && windowClosed(series, now, settleMs),
    },
  };
}

/** The runbooks whose checklist the incident used (followed), then those that match and were not used. */
function packetRunbooks(deps: PacketDataDeps, routes: { runbooks: string[] }[], taxonomy: string[], checklist: PacketChecklistItem[]): PacketRunbook[] {
  const out = new Map<string, PacketRunbook>();
  for (const item of checklist) {
    const entry = out.get(item.runbookId) ?? {
      id: item.runbookId,
      title: deps.runbooks.get(item.runbookId)?.title ?? item.runbookId,
      url: runbookUrl(item.runbookId, deps.runbookBaseUrl),
      use: 'followed' as const,
      done: 0,
      total: 0,
    };
    entry.total += 1;
    if (item.done) entry.done += 1;
    out.set(item.runbookId, entry);
  }
  for (const r of incidentRunbooks(deps.runbooks, routes, taxonomy)) {
    if (!out.has(r.id)) out.set(r.id, { id: r.id, title: r.title, url: runbookUrl(r.id, deps.runbookBaseUrl), use: 'matched', done: 0, total: r.checklist.length });
  }
  return [...out.values()];
}
