import { models } from '../../../src/models';
import { StatusBoardWriter } from '../../../src/status/status-board';
import { snapshotDatabase, useTestDatabase } from '../../support/database';
import { logger, startApiRig, type ApiRig } from './api-harness';

useTestDatabase('api_openapi');
let rig: ApiRig;
beforeAll(async () => {
  rig = await startApiRig();
});

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3 document listing every v1 endpoint, each behind the bearer scheme', async () => {
    const res = await rig.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; info: { title: string; version: string }; security: unknown; components: { securitySchemes: Record<string, unknown> }; paths: Record<string, Record<string, { summary?: string; tags?: string[]; responses: Record<string, unknown> }>> }>();
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'StateTrace API', version: expect.any(String) });
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(expect.arrayContaining([
      'DELETE /api/v1/routes/{id}',
      'GET /api/v1/export',
      'GET /api/v1/incidents',
      'GET /api/v1/incidents/{id}',
      'GET /api/v1/routes',
      'GET /api/v1/routes/{id}',
      'GET /api/v1/routes/{id}/history',
      'GET /api/v1/routes/{id}/status',
      'GET /api/v1/status',
      'POST /api/v1/incidents/{id}/acknowledge',
      'POST /api/v1/incidents/{id}/failover',
      'POST /api/v1/incidents/{id}/resolve',
      'PUT /api/v1/routes/{id}',
    ]));
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect([path, method, Boolean(op.summary), op.tags?.length]).toEqual([path, method, true, 1]);
        expect(Object.keys(op.responses)).toContain(method === 'put' ? '201' : '200');
      }
    }
    // The route body is the importer's schema.
    const put = doc.paths['/api/v1/routes/{id}']!.put as unknown as { requestBody: { content: { 'application/json': { schema: { required: string[]; additionalProperties: boolean } } } } };
    expect(put.requestBody.content['application/json'].schema).toMatchObject({ additionalProperties: false, required: expect.arrayContaining(['id', 'name', 'class', 'probes', 'paths', 'owner']) });
  });
});

describe('GET /api/v1/export', () => {
  it('gives paths with health and (unmeasured) traffic, policies and failover events in the export spec’s shape', async () => {
    const board = new StatusBoardWriter(models, 0, logger);
    board.set({ routeId: 'r1', at: '2030-01-01T00:00:00.000Z', status: 'degraded', score: 62, latencyMs: 45.2, lossPct: 0.5, jitterMs: 2.1, taxonomy: [] });
    await board.flush();
    await models.Incident.create({ _id: 'inc-export', workflowId: 'outage:r1', routes: ['r1'], severity: 'major', state: 'failed_over', detectedAt: new Date(), activePath: 'standby' });
    const at = new Date();
    await models.ExecutorRun.create([
      { _id: 'run-ok', incidentId: 'inc-export', routeId: 'r1', policyId: 'manual', direction: 'failover', fromPathId: 'main', toPathId: 'standby', kind: 'command', status: 'finished', startedAt: at, deadline: at, finishedAt: at, ok: true },
      { _id: 'run-going', incidentId: 'inc-export', routeId: 'r1', policyId: 'manual', direction: 'failback', fromPathId: 'standby', toPathId: 'main', kind: 'command', status: 'running', startedAt: at, deadline: at },
    ]);
    const res = await rig.call('GET', '/api/v1/export');
    expect(res.statusCode).toBe(200);
    const noTraffic = { bytes_total: null, packets_total: null, active_flows: null };
    expect(res.json()).toEqual({
      paths: [
        { path_id: 'r1/standby', health: { latency_ms: 45.2, packet_loss_pct: 0.5, jitter_ms: 2.1, health_score: 62, status: 'degraded', last_checked: '2030-01-01T00:00:00.000Z' }, traffic: noTraffic },
        { path_id: 'r2/main', health: { latency_ms: null, packet_loss_pct: null, jitter_ms: null, health_score: null, status: 'unknown', last_checked: null }, traffic: noTraffic },
      ],
      policies: [{ policy_id: 'manual', name: 'manual', bytes_matched: null, packets_matched: null, active_flows: null }],
      failovers: [{ event_id: 'run-ok', policy_id: 'manual', type: 'triggered', from_path: 'r1/main', to_path: 'r1/standby', timestamp: at.toISOString() }],
    });
  });

  it('refuses without a token or with a bad since, and changes nothing', async () => {
    const before = await snapshotDatabase();
    expect((await rig.call('GET', '/api/v1/export', { as: null })).statusCode).toBe(401);
    const bad = await rig.call('GET', '/api/v1/export?since=last-week');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: expect.any(String), details: [expect.stringMatching(/^since: /)] });
    expect(await snapshotDatabase()).toEqual(before);
  });
});
