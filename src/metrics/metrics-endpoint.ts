import type { Registry } from 'prom-client';
import type { HttpServer } from '../http/server';
import type { Models } from '../models';
import { createRouteMetrics } from './route-metrics';
import { scrape } from './scrape';

/** GET /metrics on the API server: this process's metrics and the per-route families. */
export function registerMetricsEndpoint(app: HttpServer, deps: { registry: Registry; models: Pick<Models, 'RouteStatusBoard' | 'RouteRecord'>; token?: string }): void {
  const routeMetrics = createRouteMetrics(deps.models);
  const source = { registry: deps.registry, routeMetrics, token: deps.token };
  app.addHook('onClose', (_app, done) => {
    routeMetrics.close();
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    const answer = await scrape(source, req.headers.authorization);
    return reply.code(answer.status).type(answer.contentType).send(answer.body);
  });
}
