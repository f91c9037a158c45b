// npm run bench -- packet [--runs 20] [--warm] (--quick: 2 runs over 2 h of snapshots)
// One resolved incident whose route has 24 h of 1 s snapshots (86,400 docs) in a private
// embedded FerretDB; its packet (data, HTML, PDF on the warm system Chromium, stored) is
// generated --runs times. Untimed warm-up: one page rendered, so the browser is running.
// The seed writes the snapshots and, as the sweeper does, sums them into the per-minute
// series. The first generation reads the series (first_ms on the BENCH line) and keeps the
// downsampled series with the packet (the window closed long ago). By default the kept
// series are dropped before each timed run, so every run reads the minute series as a first
// packet does; --warm times regenerations that reuse them.
import { createLogger } from '../src/logger';
import { models } from '../src/models';
import { generatePacket, type GeneratedPacket } from '../src/packets/generate-packet';
import { createPdfRenderer } from '../src/packets/pdf-renderer';
import { loadRunbooks } from '../src/runbooks/load-runbooks';
import { seedPacketIncident } from '../test/packets/seed-packet-incident';
import { benchDatabase, numberOption, percentile, type Benchmark } from './support';

const H = 3_600_000;
/** 1 s snapshots from 20 h before detection to 4 h after (86,400); --quick: 2 h (7,200). */
const HISTORY = { fromMs: -20 * H, toMs: 4 * H, everyMs: 1000 };
const QUICK_HISTORY = { fromMs: -1 * H, toMs: 1 * H, everyMs: 1000 };

export const run: Benchmark = async (ctx) => {
  const runs = numberOption(ctx, 'runs', { full: 20, quick: 2 });
  const cold = !ctx.args.includes('--warm');
  const db = await benchDatabase(ctx);
  const renderer = await ctx.teardown.own('Chromium', () => Promise.resolve(createPdfRenderer({ executablePath: db.config.chromiumPath, user: db.config.pdfUser, logger: createLogger('warn') })), (r) => r.close());
  // Detected 5 h ago, resolved 25 min later.
  const detectedAt = new Date(Math.floor((Date.now() - 5 * H) / 60_000) * 60_000);
  let t = performance.now();
  const seeded = await seedPacketIncident({
    incidentId: 'inc-bench-packet',
    routes: [{ id: 'edge-fra-1', name: 'Frankfurt edge uplink', team: 'core-net' }],
    detectedAt,
    snapshots: [ctx.quick ? QUICK_HISTORY : HISTORY],
    insertBatch: 5000,
  });
  console.log(`seeded ${seeded.snapshotCount} snapshots and the incident in ${((performance.now() - t) / 1000).toFixed(1)} s (setup, not timed)`);

  const deps = { models, runbooks: await loadRunbooks(), renderer };
  const describe = (p: GeneratedPacket) =>
    `load ${p.timings.loadMs}, html ${p.timings.htmlMs}, pdf ${p.timings.pdfMs}, store ${p.timings.storeMs}; ${(p.pdfBytes / 1024).toFixed(0)} KB, ${p.pages ?? '?'} pages`;
  t = performance.now();
  await renderer.render('<!DOCTYPE html><html><body>warm-up</body></html>');
  console.log(`warm-up: browser launched and one page printed in ${(performance.now() - t).toFixed(0)} ms (not timed)`);
  t = performance.now();
  const first = await generatePacket(deps, seeded.incidentId);
  const firstMs = performance.now() - t;
  console.log(`first generation (reads the minute series): ${firstMs.toFixed(0)} ms (${describe(first)})`);

  const ms: number[] = [];
  let last = first;
  for (let i = 0; i < runs; i++) {
    if (cold) await models.IncidentPacket.updateOne({ _id: seeded.incidentId }, { $unset: { charts: 1 } });
    t = performance.now();
    last = await generatePacket(deps, seeded.incidentId);
    ms.push(performance.now() - t);
    console.log(`run ${i + 1}/${runs}: ${ms.at(-1)!.toFixed(0)} ms (${describe(last)})`);
  }
  return {
    fields: {
      p50_ms: Math.round(percentile(ms, 50)),
      p95_ms: Math.round(percentile(ms, 95)),
      pdf_kb: Math.round(last.pdfBytes / 1024),
      n: ms.length,
      first_ms: Math.round(firstMs),
      mode: cold ? 'cold' : 'warm',
    },
  };
};
