// npm run bench -- api-status [--routes 5000] [--sequential 200] [--burst 1000] [--concurrency 50] (--quick: 500, 20, 100, 10)
// GET /api/v1/status (every route's current status) over real HTTP with a read token, at
// 5,000 routes whose status board the sweepers' writer has filled: sequential requests, then
// a concurrent burst. The API joins the board with the directory and keeps the finished
// response for a moment (board reloaded every 2 s, directory every 10 s, in the background;
// see src/http/api/status-view.ts): the run includes those reloads.
import { importRouteFile } from '../src/directory/import-routes';
import { registerApiV1 } from '../src/http/api';
import { createApiToken } from '../src/http/api-tokens';
import { createApiAuth } from '../src/http/auth';
import { buildHttpServer } from '../src/http/server';
import { createLogger } from '../src/logger';
import { models } from '../src/models';
import { loadRunbooks } from '../src/runbooks/load-runbooks';
import { StatusBoardWriter } from '../src/status/status-board';
import { shardOf } from '../src/sweeper/shard';
import { writeTempFile } from '../test/fixtures/route-files';
import { benchDatabase, numberOption, percentile, type Benchmark } from './support';

const SHARDS = 8;
const STATUSES = ['up', 'up', 'up', 'degraded', 'down', 'unknown'] as const;

function routeFile(count: number): string {
  const routes = Array.from({ length: count }, (_, i) =>
    `  - { id: r${i}, name: route ${i}, environment: bench, primary: true, class: core, owner: { team: net }, probes: [{ kind: icmp, target: 127.0.0.1 }], paths: [{ id: main, role: primary, nextHop: 127.0.0.1 }] }`);
  return `version: 1
classes:
  - { id: core, thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 } }
teams:
  - { id: net, name: Net, contact: net@example.com }
routes:
${routes.join('\n')}
`;
}

/** Every route's entry, written the way the sweepers write them: one board per shard. */
async function fillStatusBoard(count: number, logger: ReturnType<typeof createLogger>): Promise<void> {
  const boards = Array.from({ length: SHARDS }, (_, shard) => new StatusBoardWriter(models, shard, logger));
  const at = new Date().toISOString();
  for (let i = 0; i < count; i++) {
    const status = STATUSES[i % STATUSES.length]!;
    boards[shardOf(`r${i}`, SHARDS)]!.set({ routeId: `r${i}`, at, status, score: status === 'up' ? 98 : status === 'degraded' ? 65 : 5, latencyMs: 12 + (i % 40), lossPct: i % 3, jitterMs: 1.5, taxonomy: status === 'down' ? ['link_down'] : [], lastHealthyAt: at });
  }
  await Promise.all(boards.map((b) => b.flush()));
}

export const run: Benchmark = async (ctx) => {
  const routes = numberOption(ctx, 'routes', { full: 5000, quick: 500 });
  const sequential = numberOption(ctx, 'sequential', { full: 200, quick: 20 });
  const burst = numberOption(ctx, 'burst', { full: 1000, quick: 100 });
  const concurrency = numberOption(ctx, 'concurrency', { full: 50, quick: 10 });
  const logger = createLogger('warn');
  await benchDatabase(ctx);
  const app = await ctx.teardown.own('HTTP server', () => buildHttpServer({ logger, checks: {}, addressRateLimitPerMinute: 0 }), (a) => a.close());
  const importStart = Date.now();
  await importRouteFile(writeTempFile(routeFile(routes)), { models, maxBytes: 1 << 24, actor: { platform: 'cli', id: 'bench' }, logger });
  await fillStatusBoard(routes, logger);
  console.log(`imported ${routes} routes and filled the status board in ${((Date.now() - importStart) / 1000).toFixed(1)} s`);
  const noTemporal = { getHandle: () => { throw new Error('not in this benchmark'); }, start: () => Promise.reject(new Error('not in this benchmark')) };
  registerApiV1(app, { models, auth: createApiAuth(models), workflows: noTemporal, taskQueue: 'unused', runbooks: await loadRunbooks(), logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/status`;
  const { token } = await createApiToken(models, { name: 'bench', scope: 'read', createdBy: { platform: 'cli', id: 'bench' } });

  const get = async (): Promise<{ ms: number; body: Buffer }> => {
    const started = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200) throw new Error(`GET /api/v1/status: ${res.status} ${body.toString().slice(0, 200)}`);
    return { ms: performance.now() - started, body };
  };
  // The whole body is received every time, but parsed only here: parsing 1.3 MB of JSON per
  // response would make this process (the client) the bottleneck of the burst.
  const first = JSON.parse((await get()).body.toString()) as { routes: unknown[]; counts: Record<string, number> };
  if (first.routes.length !== routes) throw new Error(`GET /api/v1/status listed ${first.routes.length} routes, not ${routes}`);
  console.log(`one response: ${routes} routes, counts ${JSON.stringify(first.counts)}`);

  const times: number[] = [];
  for (let i = 0; i < sequential; i++) times.push((await get()).ms);
  console.log(`sequential: ${sequential} requests, p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);

  const burstTimes: number[] = [];
  let next = 0;
  const burstStart = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < burst) burstTimes.push((await get()).ms);
  }));
  const burstSec = (performance.now() - burstStart) / 1000;
  const rps = burst / burstSec;
  console.log(`burst: ${burst} requests, ${concurrency} at a time, in ${burstSec.toFixed(2)} s; p50 ${percentile(burstTimes, 50).toFixed(1)} ms, p95 ${percentile(burstTimes, 95).toFixed(1)} ms`);
  const all = [...times, ...burstTimes];
  return { fields: { routes, p95_ms: percentile(all, 95), rps: Math.round(rps) } };
};
