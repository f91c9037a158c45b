import type { Models } from '../models';
import { insertOnce } from '../models/insert-once';
import type { MaintenanceWindowDoc } from '../models/maintenance-window';
import type { RouteRecordDoc } from '../models/route';

type Actor = MaintenanceWindowDoc['createdBy'];

/** A maintenance window of a route, wherever it is stored. */
export interface MaintenanceWindowView {
  start: Date;
  end: Date;
  reason: string;
  /** file / api: declared in routes.yaml or a PUT body; chat: opened at run time by `maint`. */
  source: 'file' | 'api' | 'chat';
  createdBy?: Actor;
}

type MaintenanceModels = Pick<Models, 'MaintenanceWindow'>;

/**
 * Every maintenance window of a route, by start: the ones its document declares, and the
 * run-time ones, which have their own documents. Route documents written before run-time
 * windows moved out may still hold some (source chat); import and PUT keep those, and they
 * are read here like the rest, so an upgrade loses none.
 */
export async function maintenanceOf(models: MaintenanceModels, route: { _id: string; maintenance: RouteRecordDoc['maintenance'] }): Promise<MaintenanceWindowView[]> {
  const runTime = await models.MaintenanceWindow.find({ routeId: route._id }).lean();
  const windows: MaintenanceWindowView[] = [
    ...route.maintenance.map((w) => ({ start: w.start, end: w.end, reason: w.reason, source: w.source, ...(w.createdBy ? { createdBy: w.createdBy } : {}) })),
    ...runTime.map((w) => ({ start: w.start, end: w.end, reason: w.reason, source: w.source, createdBy: w.createdBy })),
  ];
  return windows.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** The window in force at `at`, if any. */
export function activeWindow(windows: MaintenanceWindowView[], at: Date): MaintenanceWindowView | undefined {
  return windows.find((w) => w.start <= at && at < w.end);
}

export interface NewMaintenanceWindow {
  /** The idempotency key of the request that opens it: a retry of that request opens nothing more. */
  key: string;
  routeId: string;
  start: Date;
  end: Date;
  reason: string;
  createdBy: Actor;
}

/**
 * Opens a run-time maintenance window on a route: one insert, never an update of the route
 * document. Resolves the window as stored (the first request's, for a retry), or undefined
 * when there is no such route.
 */
export async function openMaintenanceWindow(models: Pick<Models, 'MaintenanceWindow' | 'RouteRecord'>, w: NewMaintenanceWindow): Promise<MaintenanceWindowView | undefined> {
  if (!(await models.RouteRecord.exists({ _id: w.routeId }))) return undefined;
  const { key, ...fields } = w;
  await insertOnce(models.MaintenanceWindow, { _id: key, ...fields, source: 'chat' });
  const stored = await models.MaintenanceWindow.findById(key).lean();
  if (!stored) throw new Error(`maintenance window ${key} was not stored`);
  return { start: stored.start, end: stored.end, reason: stored.reason, source: stored.source, createdBy: stored.createdBy };
}
