// npm run bench -- failover [--cuts 20] (--quick: 2 cuts)
// The whole product on testbed 10 (test/support/outage-rig.ts), confirming outages as it does
// by default: each cut of the primary link is timed to the incident (detect) and to the backup
// route installed in the edge namespace and verified (failover); then healed and left to fail
// back and resolve before the next cut. Every cut must open its own incident and fail over;
// one that does not fails the run.
//
// By the default flapping rule (down 4 times within 300 s) a route cut every ~15 s is
// flapping, and the product then keeps its outage as one incident until the route has been
// quiet for 10 minutes — right for a real route, but then the cuts after the fourth measure
// nothing. The benchmark's route class calls a route flapping only when it goes down 4 times
// within 30 s, which its cuts, each a whole outage (≥ 10 s from cut to resolution), never do.
import { models } from '../src/models';
import { outageState } from '../workflows/messages';
import { rigRouteFile } from '../test/support/outage-rig';
import { until } from '../test/support/until';
import { benchDatabase, benchOutageRig, numberOption, percentile, sleep, type Benchmark } from './support';

const FAILBACK_DELAY_SEC = 3;
const FLAPPING = { transitions: 4, windowSec: 30 };

export const run: Benchmark = async (ctx) => {
  const cuts = numberOption(ctx, 'cuts', { full: 20, quick: 2 });
  const db = await benchDatabase(ctx, {}, { temporal: true });
  const rig = await benchOutageRig(ctx, {
    testbedId: 10,
    temporalAddress: db.stack.endpoints.temporalAddress!,
    taskQueue: 'bench-failover',
    failbackDelaySec: FAILBACK_DELAY_SEC,
    routeFile: (tb) => rigRouteFile(tb, FAILBACK_DELAY_SEC, { flapping: FLAPPING }),
  });
  const detect: number[] = [];
  const failover: number[] = [];
  const problems: string[] = [];
  const handle = () => rig.client.workflow.getHandle(rig.outageWorkflowId());
  await sleep(3000);
  for (let i = 0; i < cuts; i++) {
    await sleep(500 + Math.random() * 1000);
    const before = await models.Incident.countDocuments();
    const cutAt = Date.now();
    const sinceCut = () => Date.now() - cutAt;
    const missed = () => undefined;
    await rig.tb.fail('primary');
    const [d, f] = await Promise.all([
      until('incident', async () => (await models.Incident.countDocuments()) > before, 20_000, { everyMs: 25 }).then(sinceCut, missed),
      until(
        'backup installed and verified',
        async () => rig.edgeNextHop() === rig.tb.links.backup.coreAddress && (await handle().query(outageState)).routes[0]?.failover === 'done',
        20_000,
        { everyMs: 25 },
      ).then(sinceCut, missed),
    ]);
    if (d !== undefined) detect.push(d);
    else problems.push(`cut ${i + 1}: no incident within 20 s`);
    if (f !== undefined) failover.push(f);
    else problems.push(`cut ${i + 1}: no verified fail-over within 20 s`);
    console.log(`cut ${i + 1}/${cuts}: incident after ${d ?? 'never'} ms, backup installed and verified after ${f ?? 'never'} ms`);
    await rig.tb.heal('primary');
    const resolved = await until('resolved', async () => (await handle().describe()).status.name === 'COMPLETED', 60_000).then(() => true, () => false);
    if (!resolved) {
      // The next cut would only join this outage: what follows would not measure a fail-over.
      problems.push(`cut ${i + 1}: the outage did not resolve within 60 s of the heal; stopped after it`);
      break;
    }
  }
  const flapping = await models.RouteTransition.countDocuments({ routeId: 'tb-route', kind: 'flapping' });
  if (flapping > 0) problems.push(`the route was marked flapping ${flapping} time(s): the cuts came faster than the class's flapping rule allows`);
  return {
    fields: {
      detect_p50_ms: Math.round(percentile(detect, 50)),
      detect_p95_ms: Math.round(percentile(detect, 95)),
      failover_p50_ms: Math.round(percentile(failover, 50)),
      failover_p95_ms: Math.round(percentile(failover, 95)),
      n: failover.length,
    },
    problems,
  };
};
