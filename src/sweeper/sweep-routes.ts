import type { DebounceSettings } from '../health/debounce';
import type { Thresholds } from '../health/score';
import type { Models } from '../models';
import type { ProbeSpec } from '../probes/types';
import { shardOf } from './shard';

/** What the sweeper needs of a route: its probes, interval, class settings and trap keys. */
export interface SweepRoute {
  id: string;
  intervalMs: number;
  probes: ProbeSpec[];
  thresholds: Thresholds;
  debounce: DebounceSettings;
  /** `<agent>|<ifIndex>` of the interfaces whose linkDown traps concern this route. */
  trapKeys: string[];
  /** What the route shares with others (outages are grouped by the first). */
  dependencies: string[];
}

export const trapKey = (agent: string, ifIndex: number) => `${agent}|${ifIndex}`;

/** The routes of one shard, joined with their class (routes of an unknown class are skipped and reported). */
export async function loadSweepRoutes(
  models: Pick<Models, 'RouteRecord' | 'RouteClass'>,
  shard: number,
  shardCount: number,
): Promise<{ routes: SweepRoute[]; skipped: string[] }> {
  const [records, classes] = await Promise.all([
    models.RouteRecord.find({}, { _id: 1, intervalSec: 1, probes: 1, routeClass: 1, dependencies: 1 }).lean(),
    models.RouteClass.find().lean(),
  ]);
  const classById = new Map(classes.map((c) => [c._id, c]));
  const routes: SweepRoute[] = [];
  const skipped: string[] = [];
  for (const r of records) {
    if (shardOf(r._id, shardCount) !== shard) continue;
    const cls = classById.get(r.routeClass);
    if (!cls?.thresholds || !cls.debounce || !cls.flapping) {
      skipped.push(r._id);
      continue;
    }
    const probes = r.probes.map(toProbeSpec);
    routes.push({
      id: r._id,
      intervalMs: r.intervalSec * 1000,
      probes,
      thresholds: cls.thresholds,
      debounce: { ...cls.debounce, flapping: cls.flapping, telemetrySlaSec: cls.telemetrySlaSec },
      dependencies: r.dependencies,
      trapKeys: probes.flatMap((p) => (p.kind === 'snmp' && p.check.type === 'ifOperStatus' && p.check.ifIndex !== undefined ? [trapKey(p.agent, p.check.ifIndex)] : [])),
    });
  }
  return { routes, skipped };
}

/** Stored probe subdocuments carry nulls for unset fields; the probes want the spec shape. */
function toProbeSpec(stored: object): ProbeSpec {
  const strip = (o: object): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(o)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? strip(v as object) : v]),
    );
  return strip(stored) as unknown as ProbeSpec;
}
