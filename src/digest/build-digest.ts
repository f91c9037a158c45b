import type { Models } from '../models';
import { CLOSED_STATES, type IncidentDoc } from '../models/incident';

export type DigestModels = Pick<Models, 'Incident' | 'RouteTransition' | 'RemediationTask' | 'RouteRecord'>;

export interface DigestIncident {
  id: string;
  severity: string;
  state: string;
  routes: string[];
  detectedAt: Date;
  acknowledgedAt?: Date;
  acknowledgedBy?: string;
  resolvedAt?: Date;
  /** Seconds from detection to acknowledgement / resolution (stored at resolution, else derived). */
  mttaSec?: number;
  mttrSec?: number;
  open: boolean;
}

export interface AttentionIncident extends DigestIncident {
  reason: 'open, never acknowledged' | 'resolved without acknowledgement' | 'still open';
}

export interface FlappyRoute {
  routeId: string;
  name?: string;
  flaps: number;
  incidents: number;
}

export interface OpenTask {
  taskId: string;
  incidentId: string;
  runbookId: string;
  text: string;
}

export interface MeanDuration {
  /** Undefined when no incident of the day has the value. */
  meanSec?: number;
  count: number;
}

export interface DigestData {
  /** The UTC day, yyyy-mm-dd; [from, to) is its span. */
  day: string;
  from: Date;
  to: Date;
  generatedAt: Date;
  /** Incidents detected that day, oldest first. */
  incidents: DigestIncident[];
  bySeverity: Record<string, number>;
  mtta: MeanDuration;
  mttr: MeanDuration;
  /** Most flapping transitions that day, then most incidents (at most FLAPPY_LIMIT). */
  flappiest: FlappyRoute[];
  /** Needing someone: the day's incidents never acknowledged, and every incident still open (as of generatedAt). */
  attention: AttentionIncident[];
  /** Checklist items not done on incidents still open. */
  openTasks: OpenTask[];
}

export const FLAPPY_LIMIT = 5;
const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day before `now`, as yyyy-mm-dd. */
export const previousUtcDay = (now: Date) => new Date(now.getTime() - DAY_MS).toISOString().slice(0, 10);

const seconds = (from: Date, to?: Date | null) => (to ? Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000)) : undefined);
const mean = (values: (number | undefined)[]): MeanDuration => {
  const present = values.filter((v): v is number => v !== undefined);
  return { meanSec: present.length ? present.reduce((s, v) => s + v, 0) / present.length : undefined, count: present.length };
};

function digestIncident(i: IncidentDoc & { _id: string }): DigestIncident {
  return {
    id: i._id,
    severity: i.severity,
    state: i.state,
    routes: i.routes,
    detectedAt: i.detectedAt,
    acknowledgedAt: i.acknowledgedAt ?? undefined,
    acknowledgedBy: i.acknowledgedBy ? (i.acknowledgedBy.name ?? i.acknowledgedBy.id) : undefined,
    resolvedAt: i.resolvedAt ?? undefined,
    mttaSec: i.mttaSec ?? seconds(i.detectedAt, i.acknowledgedAt),
    mttrSec: i.mttrSec ?? seconds(i.detectedAt, i.resolvedAt),
    open: !CLOSED_STATES.includes(i.state),
  };
}

/**
 * What happened on one UTC day: its incidents with MTTA/MTTR and their means, the
 * flappiest routes, and what still needs someone (incidents never acknowledged or still
 * open, and their undone checklist items). Plain finds reduced here: FerretDB 1.x's $group
 * has no $avg/$max and computes only one accumulator per group.
 */
export async function buildDigest(opts: { models: DigestModels; day: string; now?: Date }): Promise<DigestData> {
  const { models, day } = opts;
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new Error(`"${day}" is not a day as yyyy-mm-dd`);
  const from = new Date(`${day}T00:00:00.000Z`);
  const to = new Date(from.getTime() + DAY_MS);
  const now = opts.now ?? new Date();

  const dayIncidents = (await models.Incident.find({ detectedAt: { $gte: from, $lt: to } }).lean<(IncidentDoc & { _id: string })[]>()).map(digestIncident);
  dayIncidents.sort((a, b) => a.detectedAt.getTime() - b.detectedAt.getTime() || (a.id < b.id ? -1 : 1));
  const bySeverity: Record<string, number> = {};
  for (const i of dayIncidents) bySeverity[i.severity] = (bySeverity[i.severity] ?? 0) + 1;
  const counted = dayIncidents.filter((i) => i.state !== 'closed_transient');

  // Flapping transitions and incidents per route, that day.
  const flaps = await models.RouteTransition.find({ kind: 'flapping', at: { $gte: from, $lt: to } }, { _id: 0, routeId: 1 }).lean();
  const perRoute = new Map<string, FlappyRoute>();
  const entry = (routeId: string) => perRoute.get(routeId) ?? perRoute.set(routeId, { routeId, flaps: 0, incidents: 0 }).get(routeId)!;
  for (const f of flaps) entry(f.routeId).flaps += 1;
  for (const i of dayIncidents) for (const r of new Set(i.routes)) entry(r).incidents += 1;
  const flappiest = [...perRoute.values()]
    .sort((a, b) => b.flaps - a.flaps || b.incidents - a.incidents || (a.routeId < b.routeId ? -1 : 1))
    .slice(0, FLAPPY_LIMIT);
  const names = await models.RouteRecord.find({ _id: { $in: flappiest.map((f) => f.routeId) } }, { name: 1 }).lean();
  for (const f of flappiest) f.name = names.find((n) => n._id === f.routeId)?.name;

  // Still open now (any day), and the day's incidents nobody acknowledged.
  const open = (await models.Incident.find({ state: { $nin: CLOSED_STATES }, detectedAt: { $lt: now } }).lean<(IncidentDoc & { _id: string })[]>()).map(digestIncident);
  open.sort((a, b) => a.detectedAt.getTime() - b.detectedAt.getTime() || (a.id < b.id ? -1 : 1));
  const attention: AttentionIncident[] = [
    ...counted.filter((i) => !i.acknowledgedAt && !open.some((o) => o.id === i.id)).map((i) => ({ ...i, reason: 'resolved without acknowledgement' as const })),
    ...open.map((i) => ({ ...i, reason: i.acknowledgedAt ? ('still open' as const) : ('open, never acknowledged' as const) })),
  ];
  const tasks = open.length ? await models.RemediationTask.find({ incidentId: { $in: open.map((i) => i.id) }, done: false }).lean() : [];
  const openTasks = tasks
    .map((t) => ({ taskId: t._id, incidentId: t.incidentId, runbookId: t.runbookId, text: t.text }))
    .sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0));

  return {
    day,
    from,
    to,
    generatedAt: now,
    incidents: dayIncidents,
    bySeverity,
    mtta: mean(counted.map((i) => i.mttaSec)),
    mttr: mean(counted.map((i) => i.mttrSec)),
    flappiest,
    attention,
    openTasks,
  };
}
