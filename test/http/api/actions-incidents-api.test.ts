import { models } from '../../../src/models';
import { snapshotDatabase, useTestDatabase } from '../../support/database';
import { startCoreRig, stateOf, type CoreRig } from '../../bot/core/core-harness';
import { BODY_LIMIT, startApiRig, type ApiRig } from './api-harness';

/** Incidents and the actions on them, through the command core against outage workflows on the real Temporal dev server. */
useTestDatabase('api_actions');
let core: CoreRig;
let rig: ApiRig;

beforeAll(async () => {
  core = await startCoreRig();
  rig = await startApiRig({ workflows: core.client.workflow, taskQueue: core.taskQueue });
}, 120_000);
afterAll(async () => {
  await core?.stop();
}, 60_000);

const apiAudits = (incidentId: string) => models.AuditEntry.find({ incidentId, 'actor.platform': 'api' }).sort({ at: 1 }).lean();

describe('GET /api/v1/incidents', () => {
  beforeAll(async () => {
    const at = (min: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + min * 60_000);
    await models.Incident.create([
      { _id: 'inc-list-1', workflowId: 'outage:x1', routes: ['r1'], severity: 'major', state: 'resolved', detectedAt: at(1), resolvedAt: at(30), mttrSec: 1740 },
      { _id: 'inc-list-2', workflowId: 'outage:x2', routes: ['r2'], severity: 'critical', state: 'acknowledged', detectedAt: at(2), acknowledgedBy: { platform: 'api', id: 'tok', name: 'netops' } },
      { _id: 'inc-list-3', workflowId: 'outage:x3', routes: ['r1', 'r2'], severity: 'warning', state: 'open', detectedAt: at(3) },
    ]);
    await models.TimelineEvent.create([
      { _id: 'inc-list-2:1', incidentId: 'inc-list-2', eventId: '1', at: at(2), kind: 'detected', message: 'r2 down' },
      { _id: 'inc-list-2:2', incidentId: 'inc-list-2', eventId: '2', at: at(3), kind: 'acknowledged', message: 'netops acknowledged', actor: { platform: 'api', id: 'tok', name: 'netops' } },
    ]);
    await models.ExecutorRun.create({ _id: 'run-1', incidentId: 'inc-list-2', routeId: 'r2', policyId: 'manual', direction: 'failover', fromPathId: 'main', toPathId: 'standby', kind: 'command', status: 'finished', startedAt: at(4), deadline: at(5), finishedAt: at(4), ok: true, detail: 'exit 0' });
    await models.RemediationTask.create({ _id: 'inc-list-2:rb:1', incidentId: 'inc-list-2', runbookId: 'rb', itemId: '1', text: 'check the optic', done: false });
  });

  it('lists open, closed or all incidents newest first, page by page', async () => {
    const ids = async (query: string) => (await rig.call('GET', `/api/v1/incidents?${query}`)).json<{ incidents: { id: string }[] }>().incidents.map((i) => i.id).filter((id) => id.startsWith('inc-list'));
    expect(await ids('')).toEqual(['inc-list-3', 'inc-list-2']);
    expect(await ids('state=closed')).toEqual(['inc-list-1']);
    expect(await ids('state=all')).toEqual(['inc-list-3', 'inc-list-2', 'inc-list-1']);
    const first = (await rig.call('GET', '/api/v1/incidents?state=closed&limit=1')).json<{ incidents: unknown[]; nextCursor?: string }>();
    expect(first.incidents).toEqual([{ id: 'inc-list-1', state: 'resolved', severity: 'major', routes: ['r1'], detectedAt: '2030-01-01T00:01:00.000Z', resolvedAt: '2030-01-01T00:30:00.000Z', mttrSec: 1740 }]);
  });

  it('pages with the cursor', async () => {
    const first = (await rig.call('GET', '/api/v1/incidents?state=all&limit=2')).json<{ incidents: { id: string }[]; nextCursor: string }>();
    const second = (await rig.call('GET', `/api/v1/incidents?state=all&limit=2&cursor=${first.nextCursor}`)).json<{ incidents: { id: string }[] }>();
    const seen = [...first.incidents, ...second.incidents].map((i) => i.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(['inc-list-3', 'inc-list-2']));
  });

  it('shows one incident with its timeline, executor runs and checklist', async () => {
    const res = await rig.call('GET', '/api/v1/incidents/inc-list-2');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: 'inc-list-2', state: 'acknowledged', severity: 'critical', routes: ['r2'], detectedAt: '2030-01-01T00:02:00.000Z', acknowledgedBy: { platform: 'api', id: 'tok', name: 'netops' },
      timeline: [
        { at: '2030-01-01T00:02:00.000Z', kind: 'detected', message: 'r2 down' },
        { at: '2030-01-01T00:03:00.000Z', kind: 'acknowledged', message: 'netops acknowledged', actor: { platform: 'api', id: 'tok', name: 'netops' } },
      ],
      executorRuns: [{ id: 'run-1', routeId: 'r2', policyId: 'manual', direction: 'failover', fromPathId: 'main', toPathId: 'standby', kind: 'command', status: 'finished', startedAt: '2030-01-01T00:04:00.000Z', finishedAt: '2030-01-01T00:04:00.000Z', ok: true, detail: 'exit 0' }],
      checklist: [{ id: 'inc-list-2:rb:1', runbookId: 'rb', text: 'check the optic', done: false }],
    });
  });
});

describe('actions', () => {
  it('acknowledge: the workflow is acknowledged by the token, audited once per Idempotency-Key', async () => {
    const { handle, incidentId } = await core.startOutage();
    const headers = { 'idempotency-key': 'ack-once' };
    const res = await rig.call('POST', `/api/v1/incidents/${incidentId}/acknowledge`, { as: 'write', body: {}, headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ result: `automation acknowledged ${incidentId}: escalation stopped`, incidentId });
    const state = await stateOf(handle);
    expect(state.phase).toBe('acknowledged');
    expect(state.acknowledgedBy).toMatchObject({ platform: 'api', name: 'automation' });
    const retry = await rig.call('POST', `/api/v1/incidents/${incidentId}/acknowledge`, { as: 'write', headers });
    expect(retry.statusCode).toBe(200);
    expect(retry.json<{ result: string }>().result).toMatch(/already acknowledged by automation/);
    const audits = await apiAudits(incidentId);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ _id: expect.stringMatching(/^api:[a-f0-9]{12}:ack-once$/), action: 'command.ack', outcome: 'ok', actor: { platform: 'api', name: 'automation' } });
  });

  it('failover: the workflow fails over to the named backup', async () => {
    const { handle, incidentId } = await core.startOutage();
    const res = await rig.call('POST', `/api/v1/incidents/${incidentId}/failover`, { as: 'admin', body: { route: 'r1', backup: 'backup-b' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ result: 'netops failed r1 over to backup-b: replies', incidentId });
    const state = await stateOf(handle);
    expect(state.phase).toBe('failed_over');
    expect(state.routes[0]).toMatchObject({ activePath: 'backup-b', failover: 'done' });
    expect(await apiAudits(incidentId)).toEqual([expect.objectContaining({ action: 'command.failover', outcome: 'ok', routeId: 'r1' })]);
  });

  it('resolve: the workflow ends resolved, with the note', async () => {
    const { handle, incidentId } = await core.startOutage();
    const res = await rig.call('POST', `/api/v1/incidents/${incidentId}/resolve`, { as: 'write', body: { note: 'replaced the optic' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ result: `automation resolved ${incidentId}: replaced the optic`, incidentId });
    expect((await handle.result()).phase).toBe('resolved');
    expect(await apiAudits(incidentId)).toEqual([expect.objectContaining({ action: 'command.resolve', outcome: 'ok', after: expect.objectContaining({ note: 'replaced the optic' }) })]);
  });

  it('a read token is refused with 403: the refusal is audited, the outage untouched', async () => {
    const { handle, incidentId } = await core.startOutage();
    const before = await snapshotDatabase();
    const res = await rig.call('POST', `/api/v1/incidents/${incidentId}/acknowledge`, { as: 'read', body: {} });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: expect.stringMatching(/^you need the responder role for that; you are a viewer/) });
    expect((await stateOf(handle)).phase).toBe('open');
    const after = await snapshotDatabase();
    expect({ ...after, auditentries: undefined }).toEqual({ ...before, auditentries: undefined });
    expect(await apiAudits(incidentId)).toEqual([expect.objectContaining({ action: 'command.ack', outcome: 'refused', actor: expect.objectContaining({ platform: 'api', name: 'dash' }) })]);
  });

  it('an incident that is over is a 409', async () => {
    const { handle, incidentId } = await core.startOutage();
    await models.Incident.updateOne({ _id: incidentId }, { $set: { state: 'resolved' } });
    const res = await rig.call('POST', `/api/v1/incidents/${incidentId}/acknowledge`, { as: 'write' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: `${incidentId} is resolved; nothing to ack` });
    expect((await stateOf(handle)).phase).toBe('open');
  });

  describe('refuses, and changes nothing', () => {
    let incidentId: string;
    beforeAll(async () => {
      incidentId = (await core.startOutage()).incidentId;
    }, 60_000);
    const cases: [string, () => ReturnType<ApiRig['call']>, number, RegExp][] = [
      ['no token', () => rig.call('POST', `/api/v1/incidents/${incidentId}/acknowledge`, { as: null, body: {} }), 401, /bearer token/],
      ['an unknown incident', () => rig.call('POST', '/api/v1/incidents/inc-nope/resolve', { as: 'write', body: {} }), 404, /no incident inc-nope/],
      ['a malformed incident id', () => rig.call('POST', '/api/v1/incidents/INC!/resolve', { as: 'write', body: {} }), 400, /id: not an incident id/],
      ['a bad backup path id', () => rig.call('POST', `/api/v1/incidents/${incidentId}/failover`, { as: 'write', body: { backup: 'Backup B!' } }), 400, /backup/],
      ['an unknown field', () => rig.call('POST', `/api/v1/incidents/${incidentId}/resolve`, { as: 'write', body: { reason: 'x' } }), 400, /reason/],
      ['an empty note', () => rig.call('POST', `/api/v1/incidents/${incidentId}/resolve`, { as: 'write', body: { note: ' ' } }), 400, /note/],
      ['an over-long Idempotency-Key', () => rig.call('POST', `/api/v1/incidents/${incidentId}/resolve`, { as: 'write', body: {}, headers: { 'idempotency-key': 'k'.repeat(101) } }), 400, /idempotency-key/],
      ['an oversized body', () => rig.call('POST', `/api/v1/incidents/${incidentId}/resolve`, { as: 'write', body: { note: 'x'.repeat(BODY_LIMIT) } }), 413, /too large/],
      ['incidents without a token', () => rig.call('GET', '/api/v1/incidents', { as: null }), 401, /bearer token/],
      ['incidents in an unknown state', () => rig.call('GET', '/api/v1/incidents?state=sleeping'), 400, /state/],
      ['incidents with a forged cursor', () => rig.call('GET', '/api/v1/incidents?cursor=bm9wZQ'), 400, /cursor/],
      ['an unknown incident (read)', () => rig.call('GET', '/api/v1/incidents/inc-nope'), 404, /no incident inc-nope/],
    ];
    it.each(cases)('%s', async (_name, send, status, message) => {
      const before = await snapshotDatabase();
      const res = await send();
      expect(res.statusCode).toBe(status);
      const body = res.json<{ error: string; details?: string[] }>();
      expect([body.error, ...(body.details ?? [])].join('\n')).toMatch(message);
      expect(await snapshotDatabase()).toEqual(before);
    });
  });
});
