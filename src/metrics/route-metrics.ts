import type { Models } from '../models';
import { HEALTH_STATUSES } from '../models/shared';
import { loadStatusBoard, type RouteStatusEntry } from '../status/status-board';
import { family, labelValue } from './exposition';
import { createRouteInfo } from './route-info';

interface RouteGauge {
  name: string;
  help: string;
  /** undefined: no sample for this route (nothing measured). */
  value(e: RouteStatusEntry): number | undefined;
}

const seconds = (ms: number | undefined | null) => (ms == null ? undefined : ms / 1000);

/** One series per route and gauge, labelled `route` only (see route-info.ts for names and owners). */
const ROUTE_GAUGES: RouteGauge[] = [
  { name: 'statetrace_route_up', help: "1 when the route's latest status is up, 0 when degraded, down or unknown.", value: (e) => (e.status === 'up' ? 1 : 0) },
  { name: 'statetrace_route_health_score', help: 'Latest health score of the route (0-100).', value: (e) => e.score },
  { name: 'statetrace_route_latency_seconds', help: 'Latest round-trip latency of the route.', value: (e) => seconds(e.latencyMs) },
  { name: 'statetrace_route_loss_ratio', help: 'Latest packet loss of the route (0-1).', value: (e) => (e.lossPct == null ? undefined : e.lossPct / 100) },
  { name: 'statetrace_route_jitter_seconds', help: 'Latest jitter of the route.', value: (e) => seconds(e.jitterMs) },
  { name: 'statetrace_route_last_measured_timestamp_seconds', help: 'When the route was last measured (Unix time): an old value means its sweeper stopped.', value: (e) => Date.parse(e.at) / 1000 },
];

/** The per-route families, rendered from the status board in one pass. */
export function renderStatusBoard(board: Map<string, RouteStatusEntry>): string {
  const samples = ROUTE_GAUGES.map(() => '');
  const counts = new Map<string, number>(HEALTH_STATUSES.map((s) => [s, 0]));
  for (const entry of board.values()) {
    const labels = `{route="${labelValue(entry.routeId)}"} `;
    ROUTE_GAUGES.forEach((gauge, i) => {
      const value = gauge.value(entry);
      if (value !== undefined && Number.isFinite(value)) samples[i] += `${gauge.name}${labels}${value}\n`;
    });
    counts.set(entry.status, (counts.get(entry.status) ?? 0) + 1);
  }
  const statusSamples = [...counts].map(([status, n]) => `statetrace_route_status{status="${labelValue(status)}"} ${n}\n`).join('');
  return (
    ROUTE_GAUGES.map((gauge, i) => family(gauge.name, 'gauge', gauge.help, samples[i]!)).join('') +
    family('statetrace_route_status', 'gauge', 'Routes by latest status (summed over the fleet: one series per status).', statusSamples)
  );
}

/**
 * The per-route metrics of a scrape. The status board is read in the background rather than
 * per scrape: at 5,000 routes one read costs FerretDB 1.x some 350 ms, more than a scrape
 * should wait. The first scrape reads it; while scrapes keep coming (the last one within
 * `idleAfterMs`) it is re-read every `refreshMs` and each scrape gets the latest rendering, so
 * values are at most `refreshMs` older than the board (itself written every 2 s;
 * statetrace_route_last_measured_timestamp_seconds says when each route was measured). A
 * failed read is what scrapes get until the next one succeeds: they fail rather than serve
 * stale values silently.
 */
export function createRouteMetrics(
  models: Pick<Models, 'RouteStatusBoard' | 'RouteRecord'>,
  opts: { refreshMs?: number; idleAfterMs?: number; infoTtlMs?: number; now?: () => number } = {},
) {
  const { refreshMs = 5000, idleAfterMs = 120_000, now = Date.now } = opts;
  const routeInfo = createRouteInfo(models, opts.infoTtlMs, now);
  let latest: Promise<string> | undefined;
  let reading = false;
  let lastScrapeAt = 0;
  let timer: NodeJS.Timeout | undefined;

  const read = (): Promise<string> => {
    reading = true;
    const next = loadStatusBoard(models).then(renderStatusBoard);
    const settled = () => {
      // Unless the reads were stopped meanwhile: the next scrape then starts them afresh.
      if (timer) latest = next;
      reading = false;
    };
    next.then(settled, settled);
    return next;
  };
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
    latest = undefined;
  };
  const refresh = () => {
    if (now() - lastScrapeAt > idleAfterMs) stop();
    else if (!reading) void read().catch(() => undefined);
  };

  return {
    async text(): Promise<string> {
      lastScrapeAt = now();
      if (!latest) {
        latest = read();
        timer = setInterval(refresh, refreshMs).unref();
      }
      const [board, info] = await Promise.all([latest, routeInfo()]);
      return board + info;
    },
    /** Stops the background reads (server shutdown). */
    close: stop,
  };
}

export type RouteMetrics = ReturnType<typeof createRouteMetrics>;
