// npm run bench -- probe-throughput [--routes 2000] [--seconds 60] [--interval 10] (--quick: 200 routes, 5 s at 1 s)
// N routes with loopback targets (127.x.y.z, one fping-batch probe each) swept by the real
// sweeper (agenda, fping, scoring, batched snapshot writes to FerretDB).
import fs from 'node:fs';
import mongoose from 'mongoose';
import { importRouteFile } from '../src/directory/import-routes';
import { createLogger } from '../src/logger';
import { models } from '../src/models';
import { probeIcmpBatch, runProbe } from '../src/probes';
import { startSweeper } from '../src/sweeper/run-sweeper';
import { writeTempFile } from '../test/fixtures/route-files';
import { benchDatabase, cpuSeconds, numberOption, sleep, type Benchmark } from './support';

function routeFile(routes: number, intervalSec: number): string {
  const lines = [
    'version: 1',
    'classes:',
    '  - { id: bulk, thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 } }',
    'teams:',
    '  - { id: net, name: Net, contact: net@example.com }',
    'routes:',
  ];
  for (let i = 0; i < routes; i++) {
    const target = `127.${1 + Math.floor(i / 65_000)}.${Math.floor((i % 65_000) / 250)}.${(i % 250) + 1}`;
    lines.push(
      `  - { id: r${i}, name: r${i}, environment: bench, primary: true, class: bulk, intervalSec: ${intervalSec}, owner: { team: net },`,
      `      probes: [{ kind: icmp-batch, target: ${target}, count: 3, intervalMs: 100, timeoutMs: 500 }], paths: [{ id: p, role: primary, nextHop: ${target} }] }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export const run: Benchmark = async (ctx) => {
  const routes = numberOption(ctx, 'routes', { full: 2000, quick: 200 });
  const seconds = numberOption(ctx, 'seconds', { full: 60, quick: 5 });
  const intervalSec = numberOption(ctx, 'interval', { full: 10, quick: 1 });
  const logger = createLogger('warn');
  const db = await benchDatabase(ctx, { STATETRACE_TRAP_PORT: '0' });
  const file = writeTempFile(routeFile(routes, intervalSec));
  await importRouteFile(file, { models, maxBytes: fs.statSync(file).size, actor: { platform: 'cli', id: 'bench' }, logger });
  console.log(`imported ${routes} routes; sweeping for ${seconds} s at a ${intervalSec} s interval`);

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const sweeper = await ctx.teardown.own('sweeper', () => startSweeper({ config: db.config, models, db: mongoose.connection.db!, probes: { runProbe, probeIcmpBatch }, logger }), (s) => s.stop());
  global.gc?.();
  const bytesPerRoute = (process.memoryUsage().heapUsed - heapBefore) / routes;

  // Measure from the first full interval on (start-up and first-sweep phase excluded).
  await sleep(intervalSec * 1000);
  const startWritten = sweeper.stats().snapshots.written + sweeper.stats().snapshots.buffered;
  const cpu0 = cpuSeconds();
  const t0 = Date.now();
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 500);
  await sleep(seconds * 1000);
  clearInterval(sampler);
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  const stats = sweeper.stats();
  const probes = stats.snapshots.written + stats.snapshots.buffered - startWritten;
  await ctx.teardown.release(sweeper);

  const up = await models.RouteHealthSnapshot.countDocuments({ status: 'up' });
  const all = await models.RouteHealthSnapshot.countDocuments();
  console.log(`snapshots: ${all} stored, ${up} up; writer: ${JSON.stringify(stats.snapshots)}`);
  const expected = (routes * seconds) / intervalSec;
  console.log(`probes in the window: ${probes} (expected ≈ ${Math.round(expected)})`);
  return {
    fields: {
      routes,
      probes_per_s: probes / elapsed,
      cpu_pct: (cpu / elapsed) * 100,
      rss_mb: Math.round(rssPeak / 2 ** 20),
      bytes_per_route: Math.round(bytesPerRoute),
    },
  };
};
