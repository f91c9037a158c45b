import { buildHttpServer } from '../../src/http/server';
import { createLogger } from '../../src/logger';

/** What fastify's router refuses by itself comes back in the API's error shape (the fuzz suite found the default shape). */
it('a malformed %-escape is 400 and an over-long path parameter 414, both as {error}', async () => {
  const app = await buildHttpServer({ logger: createLogger('silent'), checks: {} });
  app.get('/api/v1/things/:id', () => ({ ok: true }));
  const bad = await app.inject({ method: 'GET', url: '/api/v1/%FF' });
  expect([bad.statusCode, bad.json()]).toEqual([400, { error: 'malformed URL (bad %-escape)' }]);
  const long = await app.inject({ method: 'GET', url: `/api/v1/things/${'x'.repeat(101)}` });
  expect([long.statusCode, long.json()]).toEqual([414, { error: 'a path segment is over 100 characters' }]);
  const fine = await app.inject({ method: 'GET', url: `/api/v1/things/${'x'.repeat(100)}` });
  expect(fine.json()).toEqual({ ok: true });
  await app.close();
});
