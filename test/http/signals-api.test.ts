import { buildHttpServer, type HttpServer } from '../../src/http/server';
import { registerSignalsApi } from '../../src/http/signals-api';
import { importRouteFile } from '../../src/directory/import-routes';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { shardOf } from '../../src/sweeper/shard';
import { snapshotDatabase, useTestDatabase } from '../support/database';
import { VALID_ROUTE_FILE, writeTempFile } from '../fixtures/route-files';

useTestDatabase('signals_api');
const logger = createLogger('silent');
const TOKEN = 'monitor-token-0123456789';
let app: HttpServer;

beforeAll(async () => {
  app = await buildHttpServer({ logger, checks: {}, bodyLimit: 64 * 1024 });
  registerSignalsApi(app, { models, tokens: [{ name: 'ops-monitor', token: TOKEN }], shardCount: 4 });
  await importRouteFile(writeTempFile(VALID_ROUTE_FILE), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
});
beforeEach(() => models.PendingSignal.deleteMany({}));

const post = (payload: unknown, token: string | null = TOKEN, raw = false) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/signals',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: raw ? (payload as string) : JSON.stringify(payload),
  });

describe('POST /api/v1/signals', () => {
  it('refuses an `at` a day ahead (it would hide telemetry gaps) or older than the window, and stores nothing', async () => {
    const before = await snapshotDatabase();
    const ahead = await post({ routeId: 'r1', status: 'up', at: new Date(Date.now() + 86_400_000).toISOString() });
    expect(ahead.statusCode).toBe(400);
    expect(ahead.json()).toEqual({ error: 'invalid signal payload', details: [expect.stringMatching(/^at: .* is 86400 s ahead of this server's clock \(at most 60 s\)$/)] });
    const batch = await post({ signals: [{ routeId: 'r1', status: 'up', at: new Date(Date.now() - 30_000).toISOString() }, { routeId: 'r2', status: 'down', at: new Date(Date.now() - 3_600_000).toISOString() }] });
    expect(batch.statusCode).toBe(400);
    expect(batch.json()).toEqual({ error: 'invalid signal payload', details: [expect.stringMatching(/^signals\[1\]\.at: .* is older than 900 s/)] });
    expect(await snapshotDatabase()).toEqual(before);
    // A few seconds of skew either way is fine.
    expect((await post({ routeId: 'r1', status: 'up', at: new Date(Date.now() + 5_000).toISOString() })).statusCode).toBe(202);
  });

  it('accepts a signal and queues it for the sweeper of the route’s shard', async () => {
    const res = await post({ routeId: 'r1', status: 'down', detail: 'external monitor: no BGP', taxonomy: ['bgp_down'] });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 1 });
    const stored = await models.PendingSignal.find().lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ routeId: 'r1', status: 'down', source: 'api', shard: shardOf('r1', 4), submittedBy: 'ops-monitor', taxonomy: ['bgp_down'] });
  });

  it('accepts a batch', async () => {
    const res = await post({ signals: [{ routeId: 'r1', status: 'up' }, { routeId: 'r2', status: 'degraded', lossPct: 4, at: new Date(Date.now() - 60_000).toISOString() }] });
    expect(res.statusCode).toBe(202);
    expect(await models.PendingSignal.countDocuments()).toBe(2);
  });

  describe('refuses, and stores nothing', () => {
    const refusals: [string, () => ReturnType<typeof post>, number, RegExp][] = [
      ['no token', () => post({ routeId: 'r1', status: 'down' }, null), 401, /missing or invalid bearer token/],
      ['a wrong token', () => post({ routeId: 'r1', status: 'down' }, 'monitor-token-0123456780'), 401, /missing or invalid bearer token/],
      ['an unknown status', () => post({ routeId: 'r1', status: 'sideways' }), 400, /status/],
      ['a misspelt field', () => post({ routeId: 'r1', status: 'down', detial: 'x' }), 400, /detial/],
      ['loss above 100 %', () => post({ routeId: 'r1', status: 'down', lossPct: 140 }), 400, /lossPct/],
      ['a bad timestamp', () => post({ routeId: 'r1', status: 'down', at: 'yesterday' }), 400, /at/],
      ['a batch with one bad entry', () => post({ signals: [{ routeId: 'r1', status: 'up' }, { routeId: 'r2' }] }), 400, /signals\[1\]\.status/],
      ['too many signals', () => post({ signals: Array.from({ length: 501 }, () => ({ routeId: 'r1', status: 'up' })) }), 400, /signals/],
      ['malformed JSON', () => post('{"routeId": "r1", "status": ', TOKEN, true), 400, /JSON/i],
      ['an unknown route (whole batch)', () => post({ signals: [{ routeId: 'r1', status: 'up' }, { routeId: 'nope', status: 'down' }] }), 404, /routeId "nope" is not in the directory/],
      ['an oversized body', () => post({ routeId: 'r1', status: 'down', detail: 'x'.repeat(100_000) }), 413, /too large/i],
    ];
    it.each(refusals)('%s', async (_name, send, code, message) => {
      const before = await snapshotDatabase();
      const res = await send();
      expect(res.statusCode).toBe(code);
      const body = res.json<{ error?: string; message?: string; details?: string[] }>();
      expect([body.error, body.message, ...(body.details ?? [])].join('\n')).toMatch(message);
      expect(await snapshotDatabase()).toEqual(before);
    });
  });

  it('is disabled, with a clear refusal, when no token is configured', async () => {
    const closed = await buildHttpServer({ logger, checks: {} });
    registerSignalsApi(closed, { models, tokens: [], shardCount: 1 });
    const res = await closed.inject({ method: 'POST', url: '/api/v1/signals', payload: { routeId: 'r1', status: 'down' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'signals API disabled: no STATETRACE_SIGNAL_TOKENS configured' });
  });
});
