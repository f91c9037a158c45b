import { openMaintenanceWindow } from '../../../src/directory/maintenance-windows';
import { models } from '../../../src/models';
import { snapshotDatabase, useTestDatabase } from '../../support/database';
import { BODY_LIMIT, routeBody, startApiRig, type ApiRig } from './api-harness';

useTestDatabase('api_routes');
let rig: ApiRig;
beforeAll(async () => {
  rig = await startApiRig();
});

type Body = { error?: string; details?: string[] } & Record<string, unknown>;

describe('GET /api/v1/routes', () => {
  it('lists routes by id, filtered by q, page by page', async () => {
    const all = await rig.call('GET', '/api/v1/routes');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({
      routes: [
        { id: 'r1', name: 'Route one', environment: 'lab', team: 'core-net', primary: true, class: 'core' },
        { id: 'r2', name: 'Route two', environment: 'lab', team: 'core-net', primary: false, class: 'core' },
      ],
    });
    expect((await rig.call('GET', '/api/v1/routes?q=TWO')).json<{ routes: { id: string }[] }>().routes.map((r) => r.id)).toEqual(['r2']);
    const first = (await rig.call('GET', '/api/v1/routes?limit=1')).json<{ routes: { id: string }[]; nextCursor: string }>();
    expect(first.routes.map((r) => r.id)).toEqual(['r1']);
    const second = (await rig.call('GET', `/api/v1/routes?limit=1&cursor=${first.nextCursor}`)).json<{ routes: { id: string }[]; nextCursor?: string }>();
    expect(second).toEqual({ routes: [expect.objectContaining({ id: 'r2' })] });
  });

  it('treats q as text, not as a pattern', async () => {
    expect((await rig.call('GET', '/api/v1/routes?q=.*')).json()).toEqual({ routes: [] });
  });
});

describe('GET /api/v1/routes/:id', () => {
  it('returns the route as routes.yaml declares it; customer ids only for write tokens and up', async () => {
    const asReader = await rig.call('GET', '/api/v1/routes/r1');
    expect(asReader.statusCode).toBe(200);
    const { route } = asReader.json<{ route: Record<string, unknown> }>();
    expect(route).toMatchObject({ id: 'r1', class: 'core', owner: { team: 'core-net' }, failoverPolicy: 'manual', paths: [{ id: 'main' }, { id: 'standby' }], maintenance: [] });
    expect(route).not.toHaveProperty('customerIds');
    expect(route).not.toHaveProperty('routeClass');
    const asWriter = (await rig.call('GET', '/api/v1/routes/r1', { as: 'write' })).json<{ route: Record<string, unknown> }>();
    expect(asWriter.route.customerIds).toEqual(['CUST-1']);
  });
});

describe('PUT /api/v1/routes/:id', () => {
  it('creates a route (201), replaces it (200), and audits both with the API actor', async () => {
    const created = await rig.call('PUT', '/api/v1/routes/r9', { as: 'admin', body: routeBody('r9', { maintenance: [{ start: '2030-01-01T00:00:00Z', end: '2030-01-01T02:00:00Z', reason: 'fibre work' }] }) });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 'r9', created: true, warnings: [] });
    const replaced = await rig.call('PUT', '/api/v1/routes/r9', { as: 'admin', body: routeBody('r9', { name: 'Renamed' }) });
    expect(replaced.statusCode).toBe(200);
    const stored = await models.RouteRecord.findById('r9').lean();
    expect(stored).toMatchObject({ name: 'Renamed', routeClass: 'core', intervalSec: 10, maintenance: [] });
    const audits = await models.AuditEntry.find({ 'target.id': 'r9' }).sort({ at: 1 }).lean();
    expect(audits.map((a) => [a.action, a.actor.platform, a.actor.name])).toEqual([['route.create', 'api', 'netops'], ['route.replace', 'api', 'netops']]);
    // What GET returns can be sent back as it is.
    const { route } = (await rig.call('GET', '/api/v1/routes/r9', { as: 'admin' })).json<{ route: unknown }>();
    expect((await rig.call('PUT', '/api/v1/routes/r9', { as: 'admin', body: route })).statusCode).toBe(200);
  });

  it('keeps SNMP communities write-only: no token reads one back; a route sent back as read keeps its own; a new route cannot borrow one', async () => {
    const SECRET = 'c0mmun1ty-s3cret';
    const snmpProbe = (community: string) => ({ kind: 'snmp', agent: '127.0.0.1', port: 16161, community, check: { type: 'ifOperStatus', ifIndex: 1 } });
    const body = routeBody('snmp-1', { probes: [snmpProbe(SECRET)], paths: [{ id: 'main', role: 'primary', nextHop: '127.0.0.1', probe: snmpProbe(SECRET) }, { id: 'standby', role: 'backup', nextHop: '127.0.0.2' }] });
    expect((await rig.call('PUT', '/api/v1/routes/snmp-1', { as: 'admin', body })).statusCode).toBe(201);
    for (const as of ['read', 'write', 'admin'] as const) {
      const res = await rig.call('GET', '/api/v1/routes/snmp-1', { as });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(SECRET);
      expect(res.json<{ route: { probes: { community: string }[] } }>().route.probes[0]!.community).toBe('(write-only)');
    }
    const { route } = (await rig.call('GET', '/api/v1/routes/snmp-1', { as: 'admin' })).json<{ route: Record<string, unknown> }>();
    expect((await rig.call('PUT', '/api/v1/routes/snmp-1', { as: 'admin', body: { ...route, name: 'Renamed' } })).statusCode).toBe(200);
    const stored = await models.RouteRecord.findById('snmp-1').lean();
    expect(stored).toMatchObject({ name: 'Renamed', probes: [{ community: SECRET }], paths: [{ probe: { community: SECRET } }, {}] });
    // Another route asking for "the stored community" of a probe it never had: refused, nothing written.
    const before = await snapshotDatabase();
    const borrowed = await rig.call('PUT', '/api/v1/routes/snmp-2', { as: 'admin', body: { ...route, id: 'snmp-2' } });
    expect(borrowed.statusCode).toBe(400);
    expect(borrowed.json<Body>().details).toEqual([expect.stringMatching(/^probes\[0\]\.community: \(write-only\) stands for a stored community/), expect.stringMatching(/^paths\[0\]\.probe\.community: /)]);
    expect(await snapshotDatabase()).toEqual(before);
  });

  it('returns the import warnings with the route written, e.g. a primary path probe that follows the active route', async () => {
    const body = routeBody('r7', {
      destination: '198.18.8.0/24',
      paths: [
        { id: 'main', role: 'primary', nextHop: '198.18.1.2', probe: { kind: 'icmp', target: '198.18.8.1' } },
        { id: 'standby', role: 'backup', nextHop: '198.18.2.2' },
      ],
    });
    const res = await rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body });
    expect(res.statusCode).toBe(201);
    const { warnings } = res.json<{ warnings: string[] }>();
    expect(warnings).toEqual([expect.stringMatching(/^paths\[0\]\.probe: targets 198\.18\.8\.1, inside the route's destination 198\.18\.8\.0\/24, from no particular interface or source: it measures whatever route is active/)]);
    expect(await models.RouteRecord.exists({ _id: 'r7' })).not.toBeNull();
  });

  it('keeps maintenance windows opened from chat: their own documents, and those stored in the route before', async () => {
    const start = Date.now();
    const createdBy = { platform: 'slack' as const, id: 'U1' };
    // As `maint` stored windows before they had their own documents.
    await models.RouteRecord.updateOne({ _id: 'r2' }, { $push: { maintenance: { start: new Date(start), end: new Date(start + 3_600_000), reason: 'chat window', source: 'chat', createdBy } } });
    await openMaintenanceWindow(models, { key: 'slack:req-1', routeId: 'r2', start: new Date(start + 1000), end: new Date(start + 7_200_000), reason: 'newer chat window', createdBy });
    const res = await rig.call('PUT', '/api/v1/routes/r2', { as: 'admin', body: routeBody('r2', { paths: [{ id: 'main', role: 'primary', nextHop: '::1' }] }) });
    expect(res.statusCode).toBe(200);
    expect((await models.RouteRecord.findById('r2').lean())!.maintenance.map((w) => w.reason)).toEqual(['chat window']);
    const read = (await rig.call('GET', '/api/v1/routes/r2')).json<{ route: { maintenance: unknown[] }; chatMaintenance: { reason: string }[] }>();
    expect(read.chatMaintenance.map((w) => w.reason)).toEqual(['chat window', 'newer chat window']);
    expect(read.route.maintenance).toEqual([]);
  });
});

describe('DELETE /api/v1/routes/:id', () => {
  it('deletes a route with its run-time maintenance windows, and audits it', async () => {
    await rig.call('PUT', '/api/v1/routes/r8', { as: 'admin', body: routeBody('r8') });
    await openMaintenanceWindow(models, { key: 'slack:req-r8', routeId: 'r8', start: new Date(), end: new Date(Date.now() + 60_000), reason: 'r8 work', createdBy: { platform: 'slack', id: 'U1' } });
    const res = await rig.call('DELETE', '/api/v1/routes/r8', { as: 'admin' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: 'r8', deleted: true });
    expect(await models.RouteRecord.exists({ _id: 'r8' })).toBeNull();
    expect(await models.MaintenanceWindow.countDocuments({ routeId: 'r8' })).toBe(0);
    expect(await models.AuditEntry.exists({ action: 'route.delete', 'target.id': 'r8', 'actor.platform': 'api' })).not.toBeNull();
  });
});

describe('refuses, and changes nothing', () => {
  beforeAll(() => models.Incident.create({ _id: 'inc-open-r1', workflowId: 'outage:r1', routes: ['r1'], severity: 'critical', state: 'open', detectedAt: new Date() }));
  const cases: [string, () => ReturnType<ApiRig['call']>, number, RegExp][] = [
    ['list without a token', () => rig.call('GET', '/api/v1/routes', { as: null }), 401, /bearer token/],
    ['a read with an unknown token', () => rig.app.inject({ method: 'GET', url: '/api/v1/routes/r1', headers: { authorization: 'Bearer st_000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' } }), 401, /bearer token/],
    ['a bad limit', () => rig.call('GET', '/api/v1/routes?limit=0'), 400, /limit/],
    ['an unknown route', () => rig.call('GET', '/api/v1/routes/nope'), 404, /no route nope/],
    ['an invalid route id', () => rig.call('GET', '/api/v1/routes/NOPE!'), 400, /id/],
    ['PUT without a token', () => rig.call('PUT', '/api/v1/routes/r7', { as: null, body: routeBody('r7') }), 401, /bearer token/],
    ['PUT with a write token', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'write', body: routeBody('r7') }), 403, /admin scope/],
    ['PUT of a route without probes', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body: routeBody('r7', { probes: [] }) }), 400, /probes: at least one probe/],
    ['PUT with a misspelt field', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body: routeBody('r7', { enviroment: 'x' }) }), 400, /enviroment/],
    ['PUT with a bad next hop', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body: routeBody('r7', { paths: [{ id: 'main', role: 'primary', nextHop: 'gateway' }] }) }), 400, /paths\.0\.nextHop: not an IP address/],
    ['PUT with an unknown class', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body: routeBody('r7', { class: 'edge' }) }), 400, /class: unknown route class "edge"; declared: core/],
    ['PUT with an unknown team and policy', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body: routeBody('r7', { owner: { team: 'ghosts' }, failoverPolicy: 'auto' }) }), 400, /owner\.team: unknown owner team "ghosts"[\s\S]*failoverPolicy: unknown failover policy "auto"/],
    ['PUT whose id differs from the path', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body: routeBody('r6') }), 400, /does not match/],
    ['PUT of malformed JSON', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body: '{"id": ' }), 400, /JSON/i],
    ['PUT of an oversized body', () => rig.call('PUT', '/api/v1/routes/r7', { as: 'admin', body: routeBody('r7', { description: 'x'.repeat(BODY_LIMIT) }) }), 413, /too large/],
    ['DELETE with a read token', () => rig.call('DELETE', '/api/v1/routes/r2', { as: 'read' }), 403, /admin scope/],
    ['DELETE of an unknown route', () => rig.call('DELETE', '/api/v1/routes/nope', { as: 'admin' }), 404, /no route nope/],
    ['DELETE of a route with an open incident', () => rig.call('DELETE', '/api/v1/routes/r1', { as: 'admin' }), 409, /open incident[\s\S]*inc-open-r1/],
  ];
  it.each(cases)('%s', async (_name, send, status, message) => {
    const before = await snapshotDatabase();
    const res = await send();
    expect(res.statusCode).toBe(status);
    const body = res.json<Body>();
    expect(Object.keys(body).every((k) => k === 'error' || k === 'details')).toBe(true);
    expect([body.error, ...(body.details ?? [])].join('\n')).toMatch(message);
    expect(await snapshotDatabase()).toEqual(before);
  });
});
