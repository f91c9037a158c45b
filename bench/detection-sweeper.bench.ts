// npm run bench -- detection-sweeper [--cuts 20] (--quick: 2 cuts)
// Cuts the testbed's primary link again and again and times cut → `down` transition for a
// route found by polling alone (1 s fast-probe class, two failed probes) and for a route
// watched through SNMP linkDown traps.
import mongoose from 'mongoose';
import { importRouteFile } from '../src/directory/import-routes';
import { freePort } from '../src/embedded/ports';
import { createLogger } from '../src/logger';
import { models } from '../src/models';
import { probeIcmpBatch, runProbe } from '../src/probes';
import { startSweeper } from '../src/sweeper/run-sweeper';
import { writeTempFile } from '../test/fixtures/route-files';
import type { Testbed } from '../test/testbed/testbed';
import { benchDatabase, benchTestbed, numberOption, percentile, sleep, type Benchmark } from './support';

function routeFile(tb: Testbed): string {
  const path = `paths: [{ id: primary, role: primary, nextHop: ${tb.links.primary.coreAddress} }]`;
  return `version: 1
classes:
  - id: fast
    thresholds: { latencyMs: 100, lossPct: 20, jitterMs: 30 }
    debounce: { failuresToSuspect: 1, failuresToDown: 2, recoveriesToUp: 2, graceSec: 0 }
teams:
  - { id: net, name: Net, contact: net@example.com }
routes:
  - { id: polled, name: polled, environment: bench, primary: true, class: fast, intervalSec: 1, owner: { team: net }, ${path},
      probes: [{ kind: icmp-batch, target: ${tb.targets[0]}, count: 3, intervalMs: 20, timeoutMs: 300 }] }
  - { id: trapped, name: trapped, environment: bench, primary: true, class: fast, intervalSec: 300, owner: { team: net }, ${path},
      probes: [{ kind: snmp, agent: ${tb.agent.address}, community: public, timeoutMs: 500, check: { type: ifOperStatus, ifIndex: ${tb.links.primary.ifIndex} } }] }
`;
}

export const run: Benchmark = async (ctx) => {
  const cuts = numberOption(ctx, 'cuts', { full: 20, quick: 2 });
  const logger = createLogger('warn');
  const trapPort = await freePort();
  const tb = await benchTestbed(ctx, { id: 13, targets: 1, trapSink: { port: trapPort } });
  const db = await benchDatabase(ctx, { STATETRACE_SWEEP_TICK_MS: '200', STATETRACE_TRAP_PORT: String(trapPort), STATETRACE_TRAP_ADDRESS: tb.hostAddress, STATETRACE_TRAP_COMMUNITIES: 'public' });
  const downs: { routeId: string; at: number }[] = [];
  const ups: { routeId: string; at: number }[] = [];
  await importRouteFile(writeTempFile(routeFile(tb)), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 'bench' }, logger });
  const sweeper = await ctx.teardown.own(
    'sweeper',
    () =>
      startSweeper({
        config: db.config,
        models,
        db: mongoose.connection.db!,
        probes: { runProbe, probeIcmpBatch },
        logger,
        onTransition: ({ id: routeId }, t) => {
          if (t.kind === 'down') downs.push({ routeId, at: Date.now() });
          if (t.kind === 'recovered' || t.kind === 'recovering') ups.push({ routeId, at: Date.now() });
        },
      }),
    (s) => s.stop(),
  );
  const waitFor = async (list: { routeId: string; at: number }[], routeId: string, since: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hit = list.find((d) => d.routeId === routeId && d.at >= since);
      if (hit) return hit.at - since;
      await sleep(20);
    }
    return undefined;
  };
  const poll: number[] = [];
  const trap: number[] = [];
  await sleep(3000);
  for (let i = 0; i < cuts; i++) {
    // Cut at a random phase of the probe interval.
    await sleep(500 + Math.random() * 1000);
    const cutAt = Date.now();
    await tb.fail('primary');
    const [p, t] = await Promise.all([waitFor(downs, 'polled', cutAt, 15_000), waitFor(downs, 'trapped', cutAt, 15_000)]);
    if (p !== undefined) poll.push(p);
    if (t !== undefined) trap.push(t);
    console.log(`cut ${i + 1}/${cuts}: polling ${p ?? 'missed'} ms, trap ${t ?? 'missed'} ms`);
    const healAt = Date.now();
    await tb.heal('primary');
    await waitFor(ups, 'polled', healAt, 15_000);
    await waitFor(ups, 'trapped', healAt, 15_000);
    await sleep(2500); // let the polled route finish recovering
  }
  await ctx.teardown.release(sweeper);
  const missed = cuts - Math.min(poll.length, trap.length);
  return {
    fields: {
      poll_p50_ms: Math.round(percentile(poll, 50)),
      poll_p95_ms: Math.round(percentile(poll, 95)),
      trap_p50_ms: Math.round(percentile(trap, 50)),
      trap_p95_ms: Math.round(percentile(trap, 95)),
      n: Math.min(poll.length, trap.length),
    },
    problems: missed > 0 ? [`${poll.length} of ${cuts} cuts seen by polling, ${trap.length} by traps`] : [],
  };
};
