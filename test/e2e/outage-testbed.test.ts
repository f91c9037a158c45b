import { models } from '../../src/models';
import { outageState } from '../../workflows/messages';
import { startOutageRig, type OutageRig } from '../support/outage-rig';
import { useTestDatabase } from '../support/database';
import { isolateSuite } from '../support/suite-isolation';
import { until } from '../support/until';

/**
 * End to end on the testbed (id 11): cut the primary link → the sweeper sees it → the
 * outage workflow opens an incident, fails over with `ip route replace` in the edge
 * namespace and verifies the backup → heal → fail back after the delay → resolved, all in
 * MongoDB's timeline and audit log.
 */
let rig: OutageRig;
// Registered before the database hooks so the rig stops while the database is still there.
afterAll(() => rig?.stop(), 60_000);
useTestDatabase('e2e_outage');
beforeAll(async () => {
  rig = await startOutageRig({ testbedId: 11, temporalAddress: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS!, ...isolateSuite(), failbackDelaySec: 5 });
}, 90_000);

it('cut → incident → automatic failover (edge routes via the backup) → heal → failback after the delay → resolved', async () => {
  const { tb } = rig;
  expect(rig.edgeNextHop()).toBe(tb.links.primary.coreAddress);
  const cutAt = Date.now();
  await tb.fail('primary');

  const incident = await until('an incident', () => models.Incident.findOne({ routes: 'tb-route' }).lean(), 20_000);
  expect(incident).toMatchObject({ severity: 'critical', workflowId: rig.outageWorkflowId() });
  await until('failover', () => rig.edgeNextHop() === tb.links.backup.coreAddress, 20_000);
  const failedOverMs = Date.now() - cutAt;
  const handle = rig.client.workflow.getHandle(rig.outageWorkflowId());
  await until('failed_over state', async () => (await handle.query(outageState)).routes[0]?.activePath === 'backup', 10_000);

  const healAt = Date.now();
  await tb.heal('primary');
  await until('failback', () => rig.edgeNextHop() === tb.links.primary.coreAddress, 60_000);
  expect(Date.now() - healAt).toBeGreaterThanOrEqual(5_000); // the failback delay
  const result = await handle.result();
  expect(result.phase).toBe('resolved');

  const stored = await models.Incident.findById(incident._id).populate('timeline').lean<{ state: string; failedOverAt?: Date; failedBackAt?: Date; resolvedAt?: Date; mttrSec?: number; timeline: { kind: string }[] }>();
  expect(stored).toMatchObject({ state: 'resolved' });
  expect(stored!.failedOverAt).toBeDefined();
  expect(stored!.failedBackAt).toBeDefined();
  expect(stored!.mttrSec).toBeGreaterThan(0);
  expect(stored!.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['detected', 'failover_started', 'failed_over', 'recovered', 'failed_back', 'resolved']));
  const runs = await models.ExecutorRun.find({ incidentId: incident._id }).sort({ startedAt: 1 }).lean();
  expect(runs.map((r) => [r.direction, r.toPathId, r.ok])).toEqual([
    ['failover', 'backup', true],
    ['failback', 'primary', true],
  ]);
  expect((await models.AuditEntry.find({ incidentId: incident._id }).lean()).map((a) => a.action)).toContain('route.failover');
  expect(await models.Notification.countDocuments({ incidentId: incident._id, kind: 'opened' })).toBe(1);
  console.log(`e2e: cut → backup installed and verified in ${failedOverMs} ms`);
}, 120_000);
