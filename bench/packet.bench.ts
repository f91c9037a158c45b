// npm run bench -- packet [--runs 20] [--warm]
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
import { benchDatabase, numberOption, percentile } from './support';

const H = 3_600_000;

export async function run(args: string[]): Promise<void> {
  const runs = numberOption(args, 'runs', 20);
  const cold = !args.includes('--warm');
  const db = await benchDatabase();
  const renderer = createPdfRenderer({ executablePath: db.config.chromiumPath, logger: createLogger('warn') });
  try {
    // Detected 5 h ago, resolved 25 min later; snapshots from 20 h before detection to 4 h after.
    const detectedAt = new Date(Math.floor((Date.now() - 5 * H) / 60_000) * 60_000);
    let t = performance.now();
    const seeded = await seedPacketIncident({
      incidentId: 'inc-bench-packet',
      routes: [{ id: 'edge-fra-1', name: 'Frankfurt edge uplink', team: 'core-net' }],
      detectedAt,
      snapshots: [{ fromMs: -20 * H, toMs: 4 * H, everyMs: 1000 }],
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
    console.log(
      `BENCH packet p50_ms=${percentile(ms, 50).toFixed(0)} p95_ms=${percentile(ms, 95).toFixed(0)} pdf_kb=${(last.pdfBytes / 1024).toFixed(0)} n=${ms.length} first_ms=${firstMs.toFixed(0)}${cold ? ' mode=cold' : ' mode=warm'}`,
    );
  } finally {
    await renderer.close();
    await db.stop();
  }
}
