// npm run bench -- failover [--cuts 20]
// The whole product on the testbed: each cut of the primary link is timed to the incident
// (detect) and to the backup route installed in the edge namespace and verified (failover);
// then healed and left to fail back and resolve before the next cut.
import { models } from '../src/models';
import { outageState } from '../workflows/messages';
import { startOutageRig } from '../test/support/outage-rig';
import { until } from '../test/support/until';
import { benchDatabase, numberOption, percentile } from './support';

export async function run(args: string[]): Promise<void> {
  const cuts = numberOption(args, 'cuts', 20);
  const db = await benchDatabase({}, { temporal: true });
  const rig = await startOutageRig({ testbedId: 10, temporalAddress: db.stack.endpoints.temporalAddress!, taskQueue: 'bench-failover', failbackDelaySec: 3 });
  const detect: number[] = [];
  const failover: number[] = [];
  try {
    const handle = () => rig.client.workflow.getHandle('outage:tb-route');
    await new Promise((r) => setTimeout(r, 3000));
    for (let i = 0; i < cuts; i++) {
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000));
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
      if (f !== undefined) failover.push(f);
      console.log(`cut ${i + 1}/${cuts}: incident after ${d ?? 'never'} ms, backup installed and verified after ${f ?? 'never'} ms`);
      await rig.tb.heal('primary');
      await until('resolved', async () => (await handle().describe()).status.name === 'COMPLETED', 60_000).catch(() => console.log('  (outage did not resolve within 60 s)'));
    }
    const f0 = (v: number) => v.toFixed(0);
    console.log(
      `BENCH failover detect_p50_ms=${f0(percentile(detect, 50))} detect_p95_ms=${f0(percentile(detect, 95))} failover_p50_ms=${f0(percentile(failover, 50))} failover_p95_ms=${f0(percentile(failover, 95))} n=${failover.length}`,
    );
  } finally {
    await rig.stop();
    await db.stop();
  }
}
