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
  bodies: Map<string, Buffer>;
}

/** The sweepers rewrite the board every ~2 s, the directory changes rarely: each is reloaded at most that often. */
const BOARD_TTL_MS = 2000;
const DIRECTORY_TTL_MS = 10_000;

/**
 * The status of every route, joined with the directory, shared by all requests for a
 * moment: one GET /status at 5,000 routes would otherwise read 5,000 route documents and
 * the board each time.
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

/**
 * `load()`'s value, reloaded once it is `ttlMs` old. Only the first caller waits: later ones
 * get the current value while a reload runs (at 5,000 routes the board takes ~250 ms and the
 * directory ~1 s to read from FerretDB, which would otherwise stall every request behind it).
 * A failed reload keeps the old value; the next call tries again.
 */
function cached<T>(ttlMs: number, load: () => Promise<T>): (() => Promise<T>) & { forget(): void } {
  let current: { at: number; value: Promise<T> } | undefined;
  let reloading: Promise<unknown> | undefined;
  const start = () => ({ at: Date.now(), value: load() });
  const get = () => {
    if (!current) {
      const mine = (current = start());
      mine.value.catch(() => {
        if (current === mine) current = undefined;
      });
    } else if (Date.now() - current.at >= ttlMs && !reloading) {
      const next = start();
      reloading = next.value.then(
        () => (current = next),
        () => undefined,
      ).finally(() => (reloading = undefined));
    }
    return current.value;
  };
  return Object.assign(get, {
    forget: () => {
      current = undefined;
    },
  });
}
