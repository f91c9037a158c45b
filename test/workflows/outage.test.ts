import { WorkflowUpdateStage } from '@temporalio/client';
import { acknowledge, approveFailback, outageState, requestFailover, resolve, routeTransition } from '../../workflows/messages';
import { down, routeContext, up, type PathScript } from '../support/outage-fakes';
import type { Activities } from '../../activities';
import { healablePrimary, kinds, ops, outageTestEnv, primaryDown, transition } from './outage-env';

const { withOutage, env: testEnv } = outageTestEnv();

describe('outage workflow (time-skipping)', () => {
  let env: ReturnType<typeof testEnv>;
  beforeAll(() => (env = testEnv()));
  it('escalates level by level on durable timers and stops at the acknowledgement', async () => {
    const ctx = routeContext('r1', { failoverPolicy: undefined });
    await withOutage('escalation', { r1: ctx }, primaryDown, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('10 seconds');
      expect(kinds(calls.notify)).toEqual(['opened']);
      expect(calls.notify[0]).toMatchObject({ severity: 'critical', targets: ['team:net'], page: true });
      await env.sleep('4 minutes');
      expect(kinds(calls.notify)).toEqual(['opened']);
      await env.sleep('2 minutes'); // 6 min: level 2 (300 s) has fired
      expect(calls.notify.map((n) => [n.kind, n.targets.join()])).toEqual([
        ['opened', 'team:net'],
        ['escalated', 'slack:#noc'],
      ]);
      const ack = await h.executeUpdate(acknowledge, { args: [{ actor: { platform: 'slack', id: 'U1', name: 'alice' } }] });
      expect(ack).toEqual({ result: 'acknowledged', by: { platform: 'slack', id: 'U1', name: 'alice' } });
      const again = await h.executeUpdate(acknowledge, { args: [{ actor: { platform: 'discord', id: '42' } }] });
      expect(again).toEqual({ result: 'already_acknowledged', by: { platform: 'slack', id: 'U1', name: 'alice' } });
      await env.sleep('2 hours');
      expect(kinds(calls.notify)).toEqual(['opened', 'escalated', 'acknowledged']);
      expect(calls.audit.map((a) => a.action)).toEqual(['incident.acknowledge']);
      expect((await h.query(outageState)).phase).toBe('acknowledged');
      await h.executeUpdate(resolve, { args: [{ actor: { platform: 'slack', id: 'U1' }, note: 'fixed the optic' }] });
      expect((await h.result()).phase).toBe('resolved');
    });
  }, 120_000);

  it('walks every level and the repeats when nobody acknowledges', async () => {
    const ctx = routeContext('r1', { failoverPolicy: undefined });
    await withOutage('escalation-unacked', { r1: ctx }, primaryDown, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('2 hours');
      expect(calls.notify.map((n) => [n.kind, n.targets.join()])).toEqual([
        ['opened', 'team:net'],
        ['escalated', 'slack:#noc'],
        ['escalated', 'discord:oncall'],
        ['escalated', 'discord:oncall'], // repeat 1, 600 s after level 3
      ]);
      expect((await h.query(outageState)).escalationLevel).toBe(3);
      await h.executeUpdate(resolve, { args: [{ actor: { platform: 'api', id: 'ops' } }] });
      await h.result();
    });
  }, 120_000);

  it('a blip that does not confirm closes as transient without paging anyone', async () => {
    await withOutage('transient', { r1: routeContext('r1') }, () => up, transition('r1', 'down'), async (h, calls) => {
      const result = await h.result();
      expect(result.phase).toBe('closed_transient');
      expect(calls.notify).toEqual([]);
      expect(calls.executeFailover).toEqual([]);
      expect(calls.openIncident[0]).toMatchObject({ state: 'closed_transient', severity: 'info' });
    });
  }, 60_000);

  it('fails over automatically exactly once, verified, then fails back after the full delay and resolves', async () => {
    let primaryHealthyFrom = Infinity;
    const script: PathScript = (_r, pathId) => (pathId === 'primary' ? (Date.now() >= primaryHealthyFrom ? up : down) : up);
    await withOutage('auto-failover', { r1: routeContext('r1') }, script, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('30 seconds');
      expect(calls.executeFailover.map((c) => [c.direction, c.toPathId])).toEqual([['failover', 'backup-a']]);
      expect((await h.query(outageState)).routes[0]).toMatchObject({ activePath: 'backup-a', failover: 'done' });
      // A second request changes nothing.
      expect(await h.executeUpdate(requestFailover, { args: [{ actor: { platform: 'slack', id: 'U1' } }] })).toMatchObject({ result: 'already_failed_over' });
      // The sweeper says the route works again (via the backup); the primary heals later.
      await h.signal(routeTransition, transition('r1', 'recovered', 'up'));
      await env.sleep('5 minutes');
      expect(calls.executeFailover).toHaveLength(1);
      primaryHealthyFrom = Date.now();
      await env.sleep('100 seconds'); // less than the 120 s failback delay
      expect(calls.executeFailover).toHaveLength(1);
      await env.sleep('60 seconds');
      expect(calls.executeFailover.map((c) => [c.direction, c.toPathId])).toEqual([
        ['failover', 'backup-a'],
        ['failback', 'primary'],
      ]);
      const result = await h.result();
      expect(result.phase).toBe('resolved');
      expect(kinds(calls.notify)).toEqual(expect.arrayContaining(['opened', 'failed_over', 'failed_back', 'resolved']));
      expect(calls.packets).toEqual([{ incidentId: result.incidentId, idempotencyKey: `${result.incidentId}:packet:resolved` }]);
      expect(calls.timeline.map((t) => t.kind)).toEqual(expect.arrayContaining(['detected', 'failover_started', 'failed_over', 'recovered', 'failed_back', 'resolved']));
      // A typical outage (confirm, open, fail over, 16 failback checks, fail back, resolve) stays well under 300 events.
      const events = (await h.fetchHistory()).events?.length ?? 0;
      console.log(`single-route outage with failover and failback: ${events} history events`);
      expect(events).toBeLessThanOrEqual(300);
    });
  }, 120_000);

  it('a chat outage holds up neither fail-over nor escalation, and the failure is on the timeline', async () => {
    const chatDown: Partial<Activities> = { notify: () => Promise.reject(new Error('slack: 503 service unavailable')) };
    const primary = healablePrimary();
    await withOutage(
      'chat-outage',
      { r1: routeContext('r1', { failoverPolicy: { id: 'auto', mode: 'automatic', failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 120, failbackMode: 'approval' } }) },
      primary.script,
      transition('r1', 'down'),
      async (h, calls) => {
        await env.sleep('30 seconds');
        // Notifications are still being retried, yet the route is already on its backup.
        expect(calls.executeFailover.map((c) => c.toPathId)).toEqual(['backup-a']);
        await env.sleep('6 minutes');
        expect(calls.timeline.map((t) => t.kind)).toEqual(expect.arrayContaining(['escalated', 'notification_failed']));
        // On its backup: the resolution waits for the fail-back (and counts as its approval).
        expect(await h.executeUpdate(resolve, { args: [{ actor: { platform: 'slack', id: 'U1' } }] })).toMatchObject({ result: 'resolving' });
        primary.heal();
        expect((await h.result()).phase).toBe('resolved');
        expect(calls.executeFailover.map((c) => c.direction)).toEqual(['failover', 'failback']);
      },
      {},
      chatDown,
    );
  }, 120_000);

  it('fails over to the backup an operator names', async () => {
    const manual = routeContext('r1', { failoverPolicy: { id: 'manual', mode: 'manual', failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 120, failbackMode: 'approval' } });
    const primary = healablePrimary();
    await withOutage('named-backup', { r1: manual }, primary.script, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('10 seconds');
      const actor = { platform: 'slack' as const, id: 'U1' };
      expect(await h.executeUpdate(requestFailover, { args: [{ actor, pathId: 'nope' }] })).toMatchObject({ result: 'no_backup', detail: expect.stringContaining('named nope') });
      expect(await h.executeUpdate(requestFailover, { args: [{ actor, pathId: 'backup-b' }] })).toMatchObject({ result: 'failed_over', pathId: 'backup-b' });
      expect(calls.executeFailover.map((c) => c.toPathId)).toEqual(['backup-b']);
      expect(await h.executeUpdate(resolve, { args: [{ actor }] })).toMatchObject({ result: 'resolving', detail: expect.stringContaining('r1 is still on a backup path') });
      primary.heal();
      expect((await h.result()).phase).toBe('resolved');
      expect(calls.executeFailover.map((c) => [c.direction, c.toPathId])).toEqual([['failover', 'backup-b'], ['failback', 'primary']]);
    });
  }, 60_000);

  it('restarts the failback delay when the primary dips', async () => {
    const timeline: [number, boolean][] = []; // (from, healthy)
    const script: PathScript = (_r, pathId) => {
      if (pathId !== 'primary') return up;
      const healthy = [...timeline].reverse().find(([from]) => Date.now() >= from)?.[1] ?? false;
      return healthy ? up : { ...down, status: 'degraded', score: 60 };
    };
    await withOutage('failback-dip', { r1: routeContext('r1') }, script, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('20 seconds');
      await h.signal(routeTransition, transition('r1', 'recovered', 'up'));
      timeline.push([Date.now(), true]);
      await env.sleep('90 seconds');
      timeline.push([Date.now(), false]); // a dip longer than the check spacing (a quarter of the delay)
      await env.sleep('40 seconds');
      timeline.push([Date.now(), true]);
      await env.sleep('100 seconds'); // 210 s after healing began, but only 100 s since the dip
      expect(calls.executeFailover.filter((c) => c.direction === 'failback')).toEqual([]);
      expect(calls.timeline.map((t) => t.kind)).toContain('failback_delay_restarted');
      await env.sleep('100 seconds'); // primary checks back off while it is unhealthy: allow for one more check
      expect(calls.executeFailover.filter((c) => c.direction === 'failback')).toHaveLength(1);
      await h.result();
    });
  }, 120_000);

  it('waits for approval before failing back when the policy says so', async () => {
    const ctx = routeContext('r1');
    ctx.failoverPolicy = { ...ctx.failoverPolicy!, failbackMode: 'approval', failbackDelaySec: 60 };
    await withOutage('failback-approval', { r1: ctx }, () => up, transition('r1', 'down'), async (h, calls) => {
      // confirmation sees the primary down once, then everything answers
      await env.sleep('20 seconds');
      await h.signal(routeTransition, transition('r1', 'recovered', 'up'));
      await env.sleep('10 minutes');
      expect(calls.executeFailover.map((c) => c.direction)).toEqual(['failover']);
      expect((await h.query(outageState)).awaitingFailbackApproval).toEqual(['r1']);
      expect(await h.executeUpdate(approveFailback, { args: [{ actor: { platform: 'slack', id: 'U7' } }] })).toEqual({ result: 'approved', routes: ['r1'] });
      expect((await h.result()).phase).toBe('resolved');
      expect(calls.executeFailover.map((c) => c.direction)).toEqual(['failover', 'failback']);
    }, { confirm: { attempts: 0, intervalMs: 0 } });
  }, 60_000);

  it('a long outage continues as new with its state and still completes', async () => {
    let primaryHealthyFrom = Infinity;
    const script: PathScript = (_r, pathId) => (pathId === 'primary' ? (Date.now() >= primaryHealthyFrom ? up : down) : up);
    await withOutage('continue-as-new', { r1: routeContext('r1') }, script, transition('r1', 'down'), async (h, calls) => {
      const firstRunId = (await h.describe()).runId;
      await env.sleep('30 seconds');
      await h.signal(routeTransition, transition('r1', 'recovered', 'up'));
      await env.sleep('30 minutes'); // many failback checks: the history passes the limit
      expect((await h.describe()).runId).not.toBe(firstRunId);
      const state = await h.query(outageState);
      expect(state).toMatchObject({ phase: 'recovering', incidentId: calls.openIncident[0]!.incidentId });
      expect(state.routes[0]).toMatchObject({ activePath: 'backup-a', failover: 'done' });
      primaryHealthyFrom = Date.now();
      expect((await h.result()).phase).toBe('resolved');
      expect(calls.openIncident).toHaveLength(1);
      expect(calls.executeFailover.map((c) => c.direction)).toEqual(['failover', 'failback']);
    }, { historyLimit: 80 });
  }, 60_000);

  it('tries the next backup when one does not verify, and escalates when none does', async () => {
    const primary = healablePrimary((pathId) => (pathId === 'backup-b' ? up : down));
    await withOutage('next-backup', { r1: routeContext('r1') }, primary.script, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('30 seconds');
      expect(calls.executeFailover.map((c) => c.toPathId)).toEqual(['backup-a', 'backup-b']);
      expect((await h.query(outageState)).routes[0]).toMatchObject({ activePath: 'backup-b', failover: 'done' });
      expect(await h.executeUpdate(resolve, { args: [{ actor: ops }] })).toMatchObject({ result: 'resolving' });
      primary.heal();
      await h.result();
    });
    const allDown = healablePrimary(() => down);
    await withOutage('no-backup-verifies', { r2: routeContext('r2') }, allDown.script, transition('r2', 'down'), async (h, calls) => {
      await env.sleep('30 seconds');
      expect(calls.executeFailover.map((c) => c.toPathId)).toEqual(['backup-a', 'backup-b']);
      expect(kinds(calls.notify)).toContain('failover_failed');
      // The executor moved it each time: it is on backup-b, which does not work, and goes back once the primary heals.
      expect((await h.query(outageState)).routes[0]).toMatchObject({ activePath: 'backup-b', failover: 'failed' });
      expect(await h.executeUpdate(resolve, { args: [{ actor: ops }] })).toMatchObject({ result: 'resolving' });
      allDown.heal();
      expect((await h.result()).phase).toBe('resolved');
      expect(calls.executeFailover.map((c) => [c.direction, c.toPathId])).toEqual([
        ['failover', 'backup-a'],
        ['failover', 'backup-b'],
        ['failback', 'primary'],
      ]);
    });
  }, 120_000);

  it('a flapping route gives one warning and no repeated pages', async () => {
    await withOutage('flapping', { r1: routeContext('r1') }, primaryDown, transition('r1', 'flapping'), async (h, calls) => {
      for (let i = 0; i < 5; i++) {
        await h.signal(routeTransition, transition('r1', 'down'));
        await env.sleep('30 seconds');
        await h.signal(routeTransition, transition('r1', 'recovered', 'up'));
        await env.sleep('30 seconds');
      }
      expect(calls.notify.filter((n) => n.page).map((n) => [n.kind, n.severity])).toEqual([['flapping', 'warning']]);
      expect(calls.executeFailover).toEqual([]);
      await h.result();
    });
  }, 120_000);

  it('a route that starts flapping during an outage: one notice without a page, and the outage waits 10 quiet minutes', async () => {
    const ctx = routeContext('r1', { failoverPolicy: undefined, escalationPolicy: undefined });
    await withOutage('flapping-mid-incident', { r1: ctx }, primaryDown, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('10 seconds');
      for (let i = 0; i < 4; i++) {
        await h.signal(routeTransition, transition('r1', 'recovered', 'up'));
        await env.sleep('15 seconds');
        await h.signal(routeTransition, transition('r1', i >= 2 ? 'flapping' : 'down'));
        await env.sleep('30 seconds');
      }
      await h.signal(routeTransition, transition('r1', 'recovered', 'up'));
      await env.sleep('5 minutes'); // past stableForMs (1 min), short of 10 quiet minutes
      expect((await h.query(outageState)).phase).not.toBe('resolved');
      expect(calls.notify.map((n) => [n.kind, n.page])).toEqual([
        ['opened', true],
        ['flapping', false],
      ]);
      expect(calls.timeline.filter((t) => t.kind === 'flapping')).toHaveLength(1);
      expect((await h.query(outageState)).flapping).toBe(true);
      await env.sleep('6 minutes');
      expect((await h.result()).phase).toBe('resolved');
      expect(calls.openIncident).toHaveLength(1);
    }, { stableForMs: 60_000 });
  }, 120_000);

  it('an executor run whose outcome is unknown (its worker died mid-run) is verified by probing, not given up on', async () => {
    const unknownOutcome: Partial<Activities> = {
      executeFailover: (input) => Promise.resolve({ ok: false, outcomeUnknown: true, duplicate: true, detail: `${input.toPathId}: never recorded an outcome` }),
    };
    const primary = healablePrimary();
    await withOutage('unknown-outcome', { r1: routeContext('r1') }, primary.script, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('30 seconds');
      expect(calls.verifyPath.filter((v) => v.pathId !== 'primary').map((v) => v.pathId)).toEqual(['backup-a']);
      expect((await h.query(outageState)).routes[0]).toMatchObject({ activePath: 'backup-a', failover: 'done' });
      expect(kinds(calls.notify)).toEqual(['opened', 'failed_over']);
      await h.executeUpdate(resolve, { args: [{ actor: ops }] });
      primary.heal();
      await h.result();
    }, {}, unknownOutcome);
  }, 120_000);

  it('a telemetry blind spot is one warning, no escalation, and ends when data returns', async () => {
    await withOutage('telemetry-gap', { r1: routeContext('r1') }, primaryDown, transition('r1', 'telemetry_gap', 'unknown'), async (h, calls) => {
      await env.sleep('2 hours');
      expect(calls.notify.map((n) => [n.kind, n.severity, n.page])).toEqual([['telemetry_gap', 'warning', true]]);
      expect(calls.executeFailover).toEqual([]);
      await h.signal(routeTransition, transition('r1', 'telemetry_restored', 'up'));
      expect((await h.result()).phase).toBe('resolved');
    });
  }, 60_000);

  it('during a maintenance window the outage is recorded as info and nobody is paged', async () => {
    const now = await env.currentTimeMs(); // the test server's clock, hours ahead after earlier tests skipped time
    const ctx = routeContext('r1', { maintenance: [{ start: new Date(now - 3_600_000).toISOString(), end: new Date(now + 3_600_000).toISOString(), reason: 'line card swap' }] });
    await withOutage('maintenance', { r1: ctx }, primaryDown, transition('r1', 'down'), async (h, calls) => {
      await env.sleep('30 minutes');
      expect(calls.openIncident[0]).toMatchObject({ severity: 'info' });
      expect(calls.notify.map((n) => [n.kind, n.page])).toEqual([['maintenance', false]]);
      expect(calls.executeFailover).toEqual([]);
      await h.signal(routeTransition, transition('r1', 'recovered', 'up'));
      expect((await h.result()).phase).toBe('resolved');
    });
  }, 120_000);

  it('50 routes failing on one dependency make one incident and one page', async () => {
    const contexts = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`r${i}`, routeContext(`r${i}`, { failoverPolicy: undefined, escalationPolicy: undefined })]));
    await withOutage(
      'dependency',
      contexts,
      primaryDown,
      transition('r0', 'down'),
      async (h, calls) => {
        // Half arrive with the first (before the workflow has run), half later.
        await Promise.all(Array.from({ length: 24 }, (_, i) => h.signal(routeTransition, transition(`r${i + 1}`, 'down'))));
        await env.sleep('5 seconds');
        for (let i = 25; i < 50; i++) await h.signal(routeTransition, transition(`r${i}`, 'down'));
        await env.sleep('1 minute');
        expect(calls.openIncident).toHaveLength(1);
        const state = await h.query(outageState);
        expect(state.routes).toHaveLength(50);
        expect(calls.notify.filter((n) => n.page).map((n) => n.kind)).toEqual(['opened']);
        for (let i = 0; i < 50; i++) await h.signal(routeTransition, transition(`r${i}`, 'recovered', 'up'));
        expect((await h.result()).phase).toBe('resolved');
        const history = await h.fetchHistory();
        console.log(`dependency incident of 50 routes: ${history.events?.length} history events`);
      },
      { key: 'dep:core-rtr-1', dependency: 'core-rtr-1' },
    );
  }, 120_000);
  // Last in this file: the time-skipping server keeps re-sending the unanswered fail-over
  // update afterwards, which holds its clock for any test that would follow.
  it('a resolution that arrives while a fail-over is running waits for it, and for the fail-back, before the outage ends', async () => {
    const manual = routeContext('r1', { failoverPolicy: { id: 'manual', mode: 'manual', failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 120, failbackMode: 'approval' } });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let verifying!: () => void;
    const verifyStarted = new Promise<void>((r) => (verifying = r));
    let primaryHealed = false;
    // Verifying the backup holds until the resolution is in; the primary heals later.
    const slowVerify: Partial<Activities> = {
      verifyPath: async ({ pathId }) => {
        if (pathId === 'primary') return primaryHealed ? up : down;
        verifying();
        await gate;
        return up;
      },
    };
    await withOutage(
      'resolve-during-failover',
      { r1: manual },
      primaryDown,
      transition('r1', 'down'),
      async (h, calls) => {
        await env.sleep('10 seconds');
        const actor = { platform: 'discord' as const, id: '300000000000000101' };
        // Only accepted, not awaited: the time-skipping server re-sends an update that is still
        // running, and the repeat meets the closed outage's validator (a real server dedupes it).
        await h.startUpdate(requestFailover, { args: [{ actor }], waitForStage: WorkflowUpdateStage.ACCEPTED });
        await verifyStarted;
        const resolving = await h.startUpdate(resolve, { args: [{ actor, note: 'fixed at the carrier' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
        release();
        expect(await resolving.result()).toMatchObject({ result: 'resolving' });
        await env.sleep('5 minutes');
        // On its backup with the primary down: still open, and it says why.
        const state = await h.query(outageState);
        expect(state.phase).not.toBe('resolved');
        expect(state.routes[0]).toMatchObject({ failover: 'done', activePath: 'backup-a', waiting: expect.stringContaining('not healthy') });
        primaryHealed = true;
        expect((await h.result()).phase).toBe('resolved');
        expect(calls.executeFailover.map((c) => c.direction)).toEqual(['failover', 'failback']);
        // The resolution stood: the fail-over did not record the incident as failed over.
        const failedOver = calls.updateIncident.filter((u) => 'failedOverAt' in u.set).at(-1)!;
        expect(failedOver.set).not.toHaveProperty('state');
        expect(calls.updateIncident.at(-1)!.set).toMatchObject({ state: 'resolved', summary: 'resolved by 300000000000000101: fixed at the carrier' });
      },
      {},
      slowVerify,
    );
  }, 60_000);
});
