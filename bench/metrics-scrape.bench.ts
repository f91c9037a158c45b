// npm run bench -- metrics-scrape [--routes 5000] [--scrapes 400] [--pause-ms 20] [--shards 4] (--quick: 500 routes, 20 scrapes)
// GET /metrics over real HTTP from the API server, with every route in the directory and on
// the status board (spread over the shards' boards as the sweepers write them). The scrapes
// span several of the board's background re-reads (every 5 s), which they run alongside.
import { buildHttpServer } from '../src/http/server';
import { createLogger } from '../src/logger';
import { failovers, notifications, probeDuration, recordProbe } from '../src/metrics/instruments';
import { registerMetricsEndpoint } from '../src/metrics/metrics-endpoint';
import { renderStatusBoard } from '../src/metrics/route-metrics';
import { registry } from '../src/metrics/registry';
import { models } from '../src/models';
import { HEALTH_STATUSES } from '../src/models/shared';
import { loadStatusBoard, StatusBoardWriter } from '../src/status/status-board';
import { shardOf } from '../src/sweeper/shard';
import { benchDatabase, numberOption, percentile, sleep, type Benchmark } from './support';

async function loadRoutes(count: number, shards: number): Promise<void> {
  const ids = Array.from({ length: count }, (_, i) => `route-${String(i).padStart(5, '0')}`);
  const now = new Date();
  // The directory as the importer leaves it, minus what /metrics does not read.
  await models.RouteRecord.collection.insertMany(
    ids.map((id, i) => ({
      _id: id as never,
      name: `Route ${i}`,
      environment: i % 3 === 0 ? 'prod' : 'lab',
      primary: true,
      routeClass: 'core',
      intervalSec: 10,
      probes: [{ kind: 'icmp', target: '127.0.0.1' }],
      paths: [{ id: 'main', role: 'primary', nextHop: '127.0.0.1' }],
      owner: { team: `team-${i % 40}` },
      createdAt: now,
      updatedAt: now,
    })),
  );
  const logger = createLogger('warn');
  const boards = Array.from({ length: shards }, (_, shard) => new StatusBoardWriter(models, shard, logger));
  ids.forEach((routeId, i) => {
    const status = HEALTH_STATUSES[i % 17 === 0 ? 2 : i % 11 === 0 ? 1 : 0];
    boards[shardOf(routeId, shards)]!.set({ routeId, at: now.toISOString(), status, score: status === 'up' ? 98 : 40, latencyMs: 5 + (i % 50), lossPct: i % 7, jitterMs: 0.5 + (i % 5), lastHealthyAt: now.toISOString(), taxonomy: [] });
  });
  await Promise.all(boards.map((b) => b.flush()));
}

/** Some activity in the counters and histograms, as a running process has. */
function countSomething(): void {
  for (let i = 0; i < 1000; i++) recordProbe({ kind: i % 2 ? 'icmp-batch' : 'snmp', status: i % 9 ? 'up' : 'down', durationMs: i % 300 });
  failovers.inc({ direction: 'failover', outcome: 'succeeded' }, 3);
  notifications.inc({ channel: 'slack', result: 'sent' }, 12);
  probeDuration.observe({ kind: 'icmp' }, 0.02);
}

export const run: Benchmark = async (ctx) => {
  const routes = numberOption(ctx, 'routes', { full: 5000, quick: 500 });
  const scrapes = numberOption(ctx, 'scrapes', { full: 400, quick: 20 });
  const pauseMs = numberOption(ctx, 'pause-ms', { full: 20, quick: 20 });
  const shards = numberOption(ctx, 'shards', { full: 4, quick: 4 });
  await benchDatabase(ctx);
  const app = await ctx.teardown.own('HTTP server', () => buildHttpServer({ logger: createLogger('warn'), checks: {} }), (a) => a.close());
  await loadRoutes(routes, shards);
  countSomething();
  registerMetricsEndpoint(app, { registry, models });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/metrics`;

  const scrape = async () => {
    const started = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${body}`);
    return { ms: performance.now() - started, body };
  };
  const first = await scrape();
  const series = first.body.split('\n').filter((l) => l.startsWith('statetrace_route_up{')).length;
  if (series !== routes) throw new Error(`expected ${routes} statetrace_route_up series, got ${series}`);
  console.log(`first scrape (loads the route info): ${first.ms.toFixed(1)} ms, ${(first.body.length / 1024).toFixed(0)} KiB, ${series} routes`);

  const f = (n: number) => n.toFixed(1);
  const readStarted = performance.now();
  renderStatusBoard(await loadStatusBoard(models));
  console.log(`one board read and rendering (each background refresh): ${f(performance.now() - readStarted)} ms`);

  const times: number[] = [];
  for (let i = 0; i < scrapes; i++) {
    times.push((await scrape()).ms);
    await sleep(pauseMs);
  }
  console.log(`${scrapes} scrapes: min ${f(Math.min(...times))} ms, max ${f(Math.max(...times))} ms`);
  return { fields: { routes, p50_ms: percentile(times, 50), p95_ms: percentile(times, 95) } };
};
