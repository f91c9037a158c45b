import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { SeriesWriter } from '../../src/series/series-writer';
import { routeRecordDoc } from '../fixtures/route-records';

/**
 * A resolved incident with everything a packet shows: named routes, a timeline where alice
 * acknowledges and bob fails over, executor runs, a link-down checklist partly done by
 * alice, a transition with its taxonomy, and snapshots around it (worse during the outage).
 */

export const ALICE = { platform: 'slack' as const, id: 'U0ALICE', name: 'alice' };
export const BOB = { platform: 'slack' as const, id: 'U0BOB', name: 'bob' };
const MIN = 60_000;

export interface SeedOptions {
  incidentId?: string;
  /** Routes (the first is the one that failed); default two named routes. */
  routes?: { id: string; name: string; team?: string }[];
  detectedAt?: Date;
  /** Snapshots per route: from/to relative to detection (ms) and the interval. */
  snapshots?: { fromMs: number; toMs: number; everyMs: number; routes?: string[] }[];
  /** Extra text put into a route name and a timeline message (escaping tests). */
  hostile?: string;
  insertBatch?: number;
}

export interface SeededIncident {
  incidentId: string;
  detectedAt: Date;
  resolvedAt: Date;
  routeNames: string[];
  timelineMessages: string[];
  people: string[];
  checklistTexts: string[];
  snapshotCount: number;
}

/** Snapshot values at `offset` ms from detection: normal, down (0-2 min), on the backup (2-21 min), normal again. */
export function snapshotAt(routeId: string, at: number, offset: number, i: number) {
  const wobble = ((i * 7919) % 97) / 97; // deterministic 0..1
  const down = offset >= 0 && offset < 2 * MIN;
  const backup = offset >= 2 * MIN && offset < 21 * MIN;
  const latencyMs = down ? undefined : backup ? 38 + wobble * 20 : 11 + wobble * 4;
  const lossPct = down ? 100 : backup ? Math.round(wobble * 3) : 0;
  const score = down ? 0 : backup ? 70 + wobble * 8 : 94 + wobble * 5;
  return {
    routeId,
    at: new Date(at),
    status: down ? 'down' : backup ? 'degraded' : 'up',
    score: Math.round(score * 10) / 10,
    ...(latencyMs !== undefined ? { latencyMs: Math.round(latencyMs * 100) / 100 } : {}),
    lossPct,
    jitterMs: Math.round(wobble * 30) / 10,
    sources: [{ kind: 'icmp', target: '198.18.1.1', status: down ? 'down' : 'up', detail: down ? '5/5 lost' : '5/5 replies' }],
    confidence: 1,
    taxonomy: down ? ['link_down'] : [],
  };
}

export async function seedPacketIncident(opts: SeedOptions = {}): Promise<SeededIncident> {
  const incidentId = opts.incidentId ?? 'inc-packet-1';
  const D = opts.detectedAt ?? new Date(Math.floor((Date.now() - 2 * 86_400_000) / MIN) * MIN);
  const at = (min: number) => new Date(D.getTime() + min * MIN);
  const hostile = opts.hostile ?? '';
  const routes = opts.routes ?? [
    { id: 'edge-fra-1', name: `Frankfurt edge uplink${hostile}`, team: 'core-net' },
    { id: 'edge-par-1', name: 'Paris transit', team: 'transit-ops' },
  ];
  const [first] = routes;
  await models.RouteRecord.insertMany(
    routes.map((r, i) =>
      routeRecordDoc(r.id, { name: r.name, owner: { team: r.team ?? 'net' }, dependencies: ['core-rtr-1', ...(i === 0 ? ['isp-a'] : [])], runbooks: ['link-down'], customerIds: [`CUST-${i}`] }),
    ),
  );
  const resolvedAt = at(25);
  await models.Incident.create({
    _id: incidentId,
    workflowId: `outage:${first!.id}`,
    routes: routes.map((r) => r.id),
    dependency: 'core-rtr-1',
    severity: 'critical',
    state: 'resolved',
    trigger: 'primary_down',
    detectedAt: D,
    acknowledgedAt: at(1.5),
    acknowledgedBy: ALICE,
    failedOverAt: at(2.1),
    failedBackAt: at(21),
    resolvedAt,
    activePath: 'primary',
    summary: 'Carrier replaced a faulty optic on the Frankfurt uplink',
    mttaSec: 90,
    mttrSec: 1500,
  });
  const events = [
    { eventId: 'detected', at: D, kind: 'detected', message: `${first!.id}: down (link_down)` },
    { eventId: 'acknowledged', at: at(1.5), kind: 'acknowledged', message: `acknowledged by alice (slack): looking at the optics${hostile}`, actor: ALICE },
    { eventId: 'failover_started:1', at: at(2), kind: 'failover_started', message: `failover of ${first!.id} requested by bob`, actor: BOB },
    { eventId: `failed_over:${first!.id}`, at: at(2.1), kind: 'failed_over', message: `${first!.id} now uses backup-a via 198.18.2.2`, actor: BOB },
    { eventId: 'note:1', at: at(10), kind: 'note', message: 'carrier ticket CR-4711 opened', actor: ALICE },
    { eventId: 'failback_approved:1', at: at(20.5), kind: 'failback_approved', message: 'failback approved by alice', actor: ALICE },
    { eventId: `failed_back:${first!.id}`, at: at(21), kind: 'failed_back', message: `${first!.id} back on primary via 198.18.1.2` },
    { eventId: 'resolved', at: resolvedAt, kind: 'resolved', message: 'resolved by bob: optic replaced', actor: BOB },
  ];
  await models.TimelineEvent.insertMany(events.map((e) => ({ _id: `${incidentId}:${e.eventId}`, incidentId, ...e })));
  const run = (direction: 'failover' | 'failback', startMin: number, from: string, to: string, detail: string) => ({
    _id: `${direction}:${incidentId}:${first!.id}`,
    incidentId,
    routeId: first!.id,
    policyId: 'auto',
    direction,
    fromPathId: from,
    toPathId: to,
    kind: 'command',
    status: 'finished',
    startedAt: at(startMin),
    deadline: at(startMin + 1),
    finishedAt: new Date(at(startMin).getTime() + 1800),
    ok: true,
    detail,
    exitCode: 0,
  });
  await models.ExecutorRun.insertMany([run('failover', 2, 'primary', 'backup-a', 'exit 0'), run('failback', 20.8, 'backup-a', 'primary', 'exit 0')]);
  const tasks = [
    { itemId: 'confirm-scope', text: 'Confirm the scope of the outage', done: true, doneBy: ALICE, doneAt: at(3) },
    { itemId: 'check-optics', text: 'Check the optic light levels', done: true, doneBy: ALICE, doneAt: at(8) },
    { itemId: 'escalate-carrier', text: 'Escalate to the carrier with the circuit id', done: true, doneBy: BOB, doneAt: at(9) },
    { itemId: 'verify-recovery', text: 'Verify the interface stays up for 10 minutes', done: false },
  ];
  await models.RemediationTask.insertMany(tasks.map((t) => ({ _id: `${incidentId}:link-down:${t.itemId}`, incidentId, runbookId: 'link-down', ...t })));
  await models.RouteTransition.create({
    _id: `${first!.id}:${D.getTime()}:down`,
    routeId: first!.id,
    at: D,
    kind: 'down',
    from: 'suspect',
    to: 'down',
    cause: 'probe',
    consecutiveFailures: 3,
    status: 'down',
    score: 0,
    taxonomy: ['link_down', 'high_loss'],
  });

  let snapshotCount = 0;
  const plans = opts.snapshots ?? [
    { fromMs: -40 * MIN, toMs: 45 * MIN, everyMs: 1000, routes: [first!.id] },
    { fromMs: -40 * MIN, toMs: 45 * MIN, everyMs: 10_000, routes: routes.slice(1).map((r) => r.id) },
  ];
  const batchSize = opts.insertBatch ?? 5000;
  // The sweeper sums every snapshot it writes into the minute series; so does the seed.
  const series = new SeriesWriter(models, createLogger('warn'));
  for (const plan of plans) {
    for (const routeId of plan.routes ?? [first!.id]) {
      let batch: ReturnType<typeof snapshotAt>[] = [];
      let i = 0;
      for (let offset = plan.fromMs; offset < plan.toMs; offset += plan.everyMs, i++) {
        const snapshot = snapshotAt(routeId, D.getTime() + offset, offset, i);
        batch.push(snapshot);
        series.add(snapshot);
        if (batch.length >= batchSize) {
          await models.RouteHealthSnapshot.collection.insertMany(batch, { ordered: false });
          snapshotCount += batch.length;
          batch = [];
        }
      }
      if (batch.length) await models.RouteHealthSnapshot.collection.insertMany(batch, { ordered: false });
      snapshotCount += batch.length;
    }
  }
  await series.stop();
  return {
    incidentId,
    detectedAt: D,
    resolvedAt,
    routeNames: routes.map((r) => r.name),
    timelineMessages: events.map((e) => e.message),
    people: ['alice', 'bob'],
    checklistTexts: tasks.map((t) => t.text),
    snapshotCount,
  };
}
