import { routeRecordDoc } from '../../fixtures/route-records';
import type { Actor } from '../../../activities/outage-contract';
import { parseCommand } from '../../../bot/core/parse-command';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import { ALICE, runText, startCoreRig, stateOf, VIVIAN, type CoreRig } from './core-harness';

/**
 * The command core's changing commands (ack, failover, resolve, maint, checklist) against
 * outage workflows on the real Temporal dev server: who may, what reaches the workflow,
 * what is audited, and what the requester is told.
 */
useTestDatabase('command_core_actions');
let rig: CoreRig;
const BOB: Actor = { platform: 'slack', id: 'U0BOB', name: 'bob' };

beforeAll(async () => {
  rig = await startCoreRig();
  await models.RouteRecord.create(routeRecordDoc('r1', { name: 'Core r1', paths: [{ id: 'primary', role: 'primary', nextHop: '198.18.1.2' }, { id: 'backup-b', role: 'backup', nextHop: '198.18.3.2' }] }));
}, 120_000);

afterAll(async () => {
  await rig?.stop();
}, 60_000);

const audit = (requestId: string, platform = 'slack') => models.AuditEntry.findById(`${platform}:${requestId}`).lean();
/** Leaves only the given incidents open, so the tests that resolve "the open incident" are unambiguous. */
const closeAllBut = (...ids: string[]) => models.Incident.updateMany({ _id: { $nin: ids } }, { $set: { state: 'resolved' } });

describe('RBAC', () => {
  it.each(['failover', 'resolve', 'ack', 'maint r1 2h'])('a viewer running "%s" is refused, audited, and the outage is untouched', async (text) => {
    const { handle, incidentId } = await rig.startOutage();
    const name = text.split(' ')[0]!;
    const requestId = `viewer-${name}-${incidentId}`;
    const reply = await runText(rig.core, text, { role: 'viewer', incidentId, requestId });
    expect(reply).toEqual({
      ok: false,
      ephemeral: true,
      text: 'you need the responder role for that; you are a viewer. Ask an admin to add you to SLACK_ROLES / DISCORD_ROLES.',
    });
    // (What the entry names as its target, the command or the channel's incident, is not pinned here.)
    expect(await audit(requestId)).toMatchObject({ action: `command.${name}`, outcome: 'refused', actor: VIVIAN, reason: reply.text });
    const state = await stateOf(handle);
    expect(state.phase).toBe('open');
    expect(state.acknowledgedBy).toBeUndefined();
    expect(state.routes).toEqual([{ routeId: 'r1', health: 'down', activePath: 'primary', failover: 'none' }]);
    expect(rig.calls.executeFailover.filter((c) => c.incidentId === incidentId)).toEqual([]);
    expect(await models.MaintenanceWindow.countDocuments({ routeId: 'r1' })).toBe(0);
  });

  it('someone without a role may ask for help, and nothing else', async () => {
    const help = await runText(rig.core, 'help', { role: 'none', requestId: 'none-help' });
    expect(help).toMatchObject({ ok: true, ephemeral: true });
    expect(help.text).toMatch(/^commands: help \[command\] · status/);
    expect(await audit('none-help')).toBeNull(); // reading is not audited
    const status = await runText(rig.core, 'status r1', { role: 'none', requestId: 'none-status' });
    expect(status).toEqual({ ok: false, ephemeral: true, text: expect.stringMatching(/^you need the viewer role for that; you are not registered\./) });
    expect(await audit('none-status')).toMatchObject({ action: 'command.status', outcome: 'refused' });
  });
});

describe('ack', () => {
  it("acknowledges the channel's incident once; repeats are answered, and one request is audited once", async () => {
    const { handle, incidentId } = await rig.startOutage();
    const requestId = `ack-${incidentId}`;
    const first = await runText(rig.core, 'ack', { role: 'responder', actor: ALICE, incidentId, requestId });
    expect(first).toEqual({ ok: true, ephemeral: false, incidentId, text: `alice acknowledged ${incidentId}: escalation stopped` });
    const state = await stateOf(handle);
    expect(state.acknowledgedBy).toEqual(ALICE);
    expect(state.phase).toBe('acknowledged');
    expect(rig.calls.audit.filter((a) => a.incidentId === incidentId).map((a) => [a.action, a.actor])).toEqual([['incident.acknowledge', ALICE]]);
    expect(await audit(requestId)).toMatchObject({
      action: 'command.ack',
      outcome: 'ok',
      actor: ALICE,
      target: { kind: 'incident', id: incidentId },
      incidentId,
      after: { result: 'acknowledged', by: ALICE },
    });

    const second = await runText(rig.core, `ack ${incidentId}`, { role: 'admin', actor: BOB, requestId: `ack2-${incidentId}` });
    expect(second).toEqual({ ok: true, ephemeral: true, incidentId, text: `${incidentId} was already acknowledged by alice` });
    expect((await stateOf(handle)).acknowledgedBy).toEqual(ALICE);

    // The platform retries the same request (same trigger id): still one audit entry, the first.
    const retried = await runText(rig.core, 'ack', { role: 'responder', actor: ALICE, incidentId, requestId });
    expect(retried.text).toBe(`${incidentId} was already acknowledged by alice`);
    const entries = await models.AuditEntry.find({ action: 'command.ack', incidentId }).sort({ _id: 1 }).lean();
    expect(entries.map((e) => e._id)).toEqual([`slack:${requestId}`, `slack:ack2-${incidentId}`].sort());
    expect(await audit(requestId)).toMatchObject({ after: { result: 'acknowledged' } });
  });
});

describe('failover', () => {
  it('takes the named backup path to the workflow, which fails over to it', async () => {
    const { handle, incidentId } = await rig.startOutage();
    const reply = await runText(rig.core, 'failover r1 backup-b', { role: 'responder', incidentId, requestId: `fo-${incidentId}` });
    expect(reply).toEqual({ ok: true, ephemeral: false, incidentId, text: 'alice failed r1 over to backup-b: replies' });
    expect(rig.calls.executeFailover.filter((c) => c.incidentId === incidentId)).toEqual([
      expect.objectContaining({ routeId: 'r1', direction: 'failover', fromPathId: 'primary', toPathId: 'backup-b' }),
    ]);
    const state = await stateOf(handle);
    expect(state.phase).toBe('failed_over');
    expect(state.routes[0]).toMatchObject({ activePath: 'backup-b', failover: 'done' });
    expect(await audit(`fo-${incidentId}`)).toMatchObject({ action: 'command.failover', outcome: 'ok', routeId: 'r1', after: { result: 'failed_over', pathId: 'backup-b' } });

    const again = await runText(rig.core, 'failover r1', { role: 'responder', incidentId });
    expect(again).toMatchObject({ ok: true, text: 'r1 is already on backup-b' });
    expect(rig.calls.executeFailover.filter((c) => c.incidentId === incidentId)).toHaveLength(1);
  });

  it('refuses a route that is not part of the incident, and a backup the route does not have', async () => {
    const { handle, incidentId } = await rig.startOutage();
    const reply = await runText(rig.core, 'failover r2', { role: 'responder', incidentId, requestId: `fo-r2-${incidentId}` });
    expect(reply).toEqual({ ok: false, ephemeral: true, text: `route r2 is not part of ${incidentId}` });
    expect(await audit(`fo-r2-${incidentId}`)).toMatchObject({ action: 'command.failover', outcome: 'refused', routeId: 'r2', incidentId, reason: reply.text });

    const noSuchPath = await runText(rig.core, 'failover r1 backup-z', { role: 'responder', incidentId, requestId: `fo-z-${incidentId}` });
    expect(noSuchPath).toMatchObject({ ok: false, text: 'cannot fail r1 over: this route has no failover policy or no backup path named backup-z' });
    expect(await audit(`fo-z-${incidentId}`)).toMatchObject({ outcome: 'error', after: { result: 'no_backup' } });

    expect(rig.calls.executeFailover.filter((c) => c.incidentId === incidentId)).toEqual([]);
    expect((await stateOf(handle)).routes.map((r) => [r.routeId, r.failover])).toEqual([['r1', 'none']]);
  });
});

describe('resolve', () => {
  it('resolves the workflow with the note; afterwards the incident takes no more commands', async () => {
    const { handle, incidentId } = await rig.startOutage();
    const reply = await runText(rig.core, 'resolve replaced the optic', { role: 'responder', incidentId, requestId: `res-${incidentId}` });
    expect(reply).toEqual({ ok: true, ephemeral: false, incidentId, text: `alice resolved ${incidentId}: replaced the optic` });
    expect((await handle.result()).phase).toBe('resolved');
    expect(rig.calls.audit.find((a) => a.incidentId === incidentId && a.action === 'incident.resolve')).toMatchObject({ actor: ALICE, after: { note: 'replaced the optic' } });
    expect(await audit(`res-${incidentId}`)).toMatchObject({ action: 'command.resolve', outcome: 'ok', after: { result: 'resolved', note: 'replaced the optic' } });

    // Before the store catches up (the document still says open), the ended workflow answers.
    const early = await runText(rig.core, 'ack', { role: 'responder', incidentId, requestId: `late-ack-${incidentId}` });
    expect(early).toEqual({ ok: false, ephemeral: true, text: `${incidentId} is no longer running (it has ended)` });
    const late = await audit(`late-ack-${incidentId}`);
    expect(late).toMatchObject({ action: 'command.ack', incidentId, reason: early.text });
    expect(['error', 'refused']).toContain(late!.outcome);

    // Once the store activity has recorded the resolution, the core says so without asking Temporal.
    await models.Incident.updateOne({ _id: incidentId }, { $set: { state: 'resolved', resolvedAt: new Date() } });
    const closed = await runText(rig.core, 'ack', { role: 'responder', incidentId, requestId: `closed-ack-${incidentId}` });
    expect(closed).toEqual({ ok: false, ephemeral: true, text: `${incidentId} is resolved; nothing to ack` });
    expect(await audit(`closed-ack-${incidentId}`)).toMatchObject({ outcome: 'refused', target: { kind: 'incident', id: incidentId } });
    const resolveAgain = await runText(rig.core, 'resolve', { role: 'responder', incidentId });
    expect(resolveAgain.text).toBe(`${incidentId} is resolved; nothing to resolve`);
  });
});

describe('which incident', () => {
  it('asks which one when several are open and none is implied', async () => {
    const a = await rig.startOutage();
    const b = await rig.startOutage();
    await closeAllBut(a.incidentId, b.incidentId);
    const reply = await runText(rig.core, 'ack', { role: 'responder', requestId: `which-${a.incidentId}` });
    expect(reply.ok).toBe(false);
    expect(reply.ephemeral).toBe(true);
    expect(reply.text).toMatch(/^several incidents are open \(.*\): name one, or run the command in its incident channel$/);
    expect(reply.text).toContain(a.incidentId);
    expect(reply.text).toContain(b.incidentId);
    expect((await stateOf(a.handle)).acknowledgedBy).toBeUndefined();
    expect((await stateOf(b.handle)).acknowledgedBy).toBeUndefined();
    expect(await audit(`which-${a.incidentId}`)).toMatchObject({ outcome: 'refused', reason: reply.text });
  });

  it('uses the only open incident', async () => {
    const { handle, incidentId } = await rig.startOutage();
    await closeAllBut(incidentId);
    const reply = await runText(rig.core, 'ack', { role: 'responder' });
    expect(reply).toMatchObject({ ok: true, incidentId, text: `alice acknowledged ${incidentId}: escalation stopped` });
    expect((await stateOf(handle)).acknowledgedBy).toEqual(ALICE);
  });

  it('says so when the named incident does not exist, and when none is open', async () => {
    expect(await runText(rig.core, 'ack inc-20990101-nope-0000', { role: 'responder' })).toEqual({ ok: false, ephemeral: true, text: 'there is no incident inc-20990101-nope-0000' });
    expect((await runText(rig.core, 'resolve', { role: 'responder', incidentId: 'inc-gone' })).text).toBe('there is no incident inc-gone');
    await closeAllBut();
    expect((await runText(rig.core, 'failover r1', { role: 'responder' })).text).toBe('there is no open incident for route r1');
  });
});

describe('maint', () => {
  it('opens a maintenance window on the route, created by the actor, once per request, and audits it', async () => {
    const before = Date.now();
    const reply = await runText(rig.core, 'maint r1 2h change window', { role: 'responder', requestId: 'maint-r1' });
    expect(reply.ok).toBe(true);
    expect(reply.ephemeral).toBe(false);
    expect(reply.text).toMatch(/^alice put r1 in maintenance until \d{4}-\d\d-\d\d \d\d:\d\d UTC: change window\. Outages on it are recorded, not paged\.$/);
    const windows = await models.MaintenanceWindow.find({ routeId: 'r1' }).lean();
    expect(windows).toHaveLength(1);
    const w = windows[0]!;
    expect(w).toMatchObject({ _id: 'slack:maint-r1', reason: 'change window', source: 'chat', createdBy: ALICE });
    expect(w.start.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(w.end.getTime() - w.start.getTime()).toBe(2 * 3600_000);
    expect(await audit('maint-r1')).toMatchObject({ action: 'command.maint', outcome: 'ok', routeId: 'r1', target: { kind: 'route', id: 'r1' }, after: { maintenance: { reason: 'change window' } } });
    // status shows it while it lasts
    expect((await runText(rig.core, 'status r1', { role: 'viewer' })).text).toMatch(/in maintenance until .* UTC: change window/);
    // The same request again (a platform's retry) opens nothing more, and says what the first one opened.
    expect(await runText(rig.core, 'maint r1 2h change window', { role: 'responder', requestId: 'maint-r1' })).toEqual(reply);
    expect(await models.MaintenanceWindow.countDocuments({ routeId: 'r1' })).toBe(1);
  });

  it('refuses an unknown route and a window longer than 7 days, in the parser and in the core', async () => {
    expect(await runText(rig.core, 'maint nope 1h', { role: 'responder', requestId: 'maint-nope' })).toEqual({ ok: false, ephemeral: true, text: 'there is no route nope' });
    expect(await audit('maint-nope')).toMatchObject({ outcome: 'refused', routeId: 'nope' });
    // The chat grammar stops at 7 days; the core itself holds the line at 30 for any adapter.
    expect(parseCommand('maint r1 31d')).toMatchObject({ ok: false, reply: expect.stringMatching(/"31d" is not a duration between 1m and 7d/) });
    const long = await rig.core.run({ command: { name: 'maint', route: 'r1', durationSec: 8 * 86_400 }, actor: ALICE, role: 'admin', requestId: 'maint-31d' });
    expect(long).toEqual({ ok: false, ephemeral: true, text: 'a maintenance window lasts between 1 minute and 7 days' });
    expect(await audit('maint-31d')).toMatchObject({ outcome: 'refused', action: 'command.maint' });
    expect(await models.MaintenanceWindow.countDocuments()).toBe(1);
  });
});

describe('checklist (showChecklist)', () => {
  it('shows a viewer how far the checklist is; refuses someone not registered, and records the refusal', async () => {
    await models.RemediationTask.create({ _id: 'inc-show:link-down:a', incidentId: 'inc-show', runbookId: 'link-down', itemId: 'a', text: 'Check the optics' });
    const shown = await rig.core.showChecklist({ incidentId: 'inc-show', actor: VIVIAN, role: 'viewer', requestId: 'show-viewer', where: '<#C1>' });
    expect(shown).toEqual({ ok: true, ephemeral: true, incidentId: 'inc-show', text: '0 of 1 checklist items done for inc-show; the checklists are pinned in <#C1>:\n⬜ Check the optics' });
    const stranger = { platform: 'slack', id: 'U0STRANGER', name: 'stranger' } as const;
    const refused = await rig.core.showChecklist({ incidentId: 'inc-show', actor: stranger, role: 'none', requestId: 'show-stranger' });
    expect(refused).toMatchObject({ ok: false, ephemeral: true, text: expect.stringMatching(/^you need the viewer role for that; you are not registered/) });
    expect(refused.text).not.toContain('Check the optics');
    expect(await audit('show-stranger')).toMatchObject({ action: 'checklist.show', outcome: 'refused', actor: stranger });
  });
});

describe('checklist (completeTask)', () => {
  it('refuses a viewer, then marks the task done for a responder exactly once', async () => {
    const taskId = 'inc-task:link-down:check-optics';
    await models.RemediationTask.create({ _id: taskId, incidentId: 'inc-task', runbookId: 'link-down', itemId: 'check-optics', text: 'Check the optics' });

    const refused = await rig.core.completeTask({ taskId, actor: VIVIAN, role: 'viewer', requestId: 'task-viewer' });
    expect(refused).toMatchObject({ ok: false, ephemeral: true, text: expect.stringMatching(/^you need the responder role/) });
    expect(await audit('task-viewer')).toMatchObject({ action: 'checklist.complete', outcome: 'refused', actor: VIVIAN });
    expect(await models.RemediationTask.findById(taskId).lean()).toMatchObject({ done: false });

    const done = await rig.core.completeTask({ taskId, actor: ALICE, role: 'responder', requestId: 'task-alice' });
    expect(done).toEqual({ ok: true, ephemeral: false, incidentId: 'inc-task', text: '✅ Check the optics — done by alice' });
    const task = (await models.RemediationTask.findById(taskId).lean())!;
    expect(task).toMatchObject({ done: true, doneBy: ALICE });
    expect(task.doneAt).toBeInstanceOf(Date);
    expect(await audit('task-alice')).toMatchObject({ action: 'checklist.complete', outcome: 'ok', target: { kind: 'remediation_task', id: taskId }, incidentId: 'inc-task' });

    const again = await rig.core.completeTask({ taskId, actor: BOB, role: 'admin', requestId: 'task-bob' });
    expect(again).toEqual({ ok: true, ephemeral: true, incidentId: 'inc-task', text: 'already done by alice' });
    expect((await models.RemediationTask.findById(taskId).lean())!.doneBy).toEqual(ALICE);
    expect(await audit('task-bob')).toBeNull();

    expect(await rig.core.completeTask({ taskId: 'inc-task:x:y', actor: ALICE, role: 'responder', requestId: 'task-missing' })).toEqual({ ok: false, ephemeral: true, text: 'no checklist item inc-task:x:y' });
  });
});
