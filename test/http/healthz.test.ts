import { buildHttpServer } from '../../src/http/server';
import { createLogger } from '../../src/logger';

const logger = createLogger('silent');

describe('GET /healthz', () => {
  it('is 200 with each check’s details when all pass', async () => {
    const app = await buildHttpServer({ logger, checks: { mongodb: () => ({ embedded: true }), temporal: () => Promise.resolve({ address: 'x:1' }) } });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { mongodb: { ok: true, embedded: true }, temporal: { ok: true, address: 'x:1' } } });
  });

  it('is 503 and names the failing dependency and why', async () => {
    const app = await buildHttpServer({
      logger,
      checks: {
        mongodb: () => Promise.reject(new Error('connection refused')),
        temporal: () => ({}),
      },
    });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'degraded', checks: { mongodb: { ok: false, error: 'connection refused' }, temporal: { ok: true } } });
  });

  it('does not hang on a dependency that never answers', async () => {
    const app = await buildHttpServer({ logger, checks: { temporal: () => new Promise(() => {}) } });
    const started = Date.now();
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ checks: { temporal: { ok: false, error: 'no answer within 3000 ms' } } });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
