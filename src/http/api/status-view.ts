import type { Models } from '../../models';
import { HEALTH_STATUSES } from '../../models/shared';
import { loadStatusBoard, type RouteStatusEntry } from '../../status/status-board';

export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** A route's latest status with its directory names; no board entry yet: status unknown, no measurement. */
export type RouteStatusRow = Omit<RouteStatusEntry, 'at'> & { at?: string; name: string; team: string; environment: string };

export interface StatusView {
  at: string;
  rows: RouteStatusRow[];
  byId: Map<string, RouteStatusRow>;
  counts: Record<HealthStatus, number>;
  /** Finished response bodies of GET /status by `?status=`, filled on first use (5,000 rows take ~10 ms to serialise). */
  bodies: Map<string, string>;
}

/** The board is rewritten every ~2 s, the directory rarely: a request reads the board at most once a second, the route names at most every 10 s. */
const BOARD_TTL_MS = 1000;
const DIRECTORY_TTL_MS = 10_000;

/**
 * The status of every route, joined with the directory, shared by all requests for a
 * moment: one GET /status at 5,000 routes would otherwise read 5,000 route documents and
 * the board each time. Concurrent requests wait for the same load.
 */
export function createStatusViews(models: Pick<Models, 'RouteRecord' | 'RouteStatusBoard'>) {
  const directory = cached(DIRECTORY_TTL_MS, async () => {
    const routes = await models.RouteRecord.find({}, { name: 1, environment: 1, owner: 1 }).sort({ _id: 1 }).lean();
    return routes.map((r) => ({ routeId: r._id, name: r.name, team: r.owner.team, environment: r.environment }));
  });
  const view = cached(BOARD_TTL_MS, async (): Promise<StatusView> => {
    const [routes, board] = await Promise.all([directory(), loadStatusBoard(models)]);
    const counts = Object.fromEntries(HEALTH_STATUSES.map((s) => [s, 0])) as Record<HealthStatus, number>;
    const rows = routes.map((route): RouteStatusRow => {
      const row = { ...(board.get(route.routeId) ?? { status: 'unknown' as const, score: 0, taxonomy: [] }), ...route };
      counts[row.status] += 1;
      return row;
    });
    return { at: new Date().toISOString(), rows, byId: new Map(rows.map((r) => [r.routeId, r])), counts, bodies: new Map() };
  });
  /** Drops both caches (a route created since they were read). */
  const forget = () => {
    directory.forget();
    view.forget();
  };
  return { current: view, forget };
}

export type StatusViews = ReturnType<typeof createStatusViews>;

function cached<T>(ttlMs: number, load: () => Promise<T>): (() => Promise<T>) & { forget(): void } {
  let entry: { at: number; value: Promise<T> } | undefined;
  const get = () => {
    if (!entry || Date.now() - entry.at >= ttlMs) {
      const value = load();
      const mine = { at: Date.now(), value };
      entry = mine;
      value.catch(() => {
        if (entry === mine) entry = undefined;
      });
    }
    return entry.value;
  };
  return Object.assign(get, { forget: () => (entry = undefined) });
}
