import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../logger';

/** A named dependency check: resolves with details when healthy, throws when not. */
export type HealthCheck = () => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface HttpServerDeps {
  logger: Logger;
  checks: Record<string, HealthCheck>;
  /** Largest request body accepted (bytes). */
  bodyLimit?: number;
}

/** The HTTP server: /healthz now; the REST API mounts here too. */
export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = Fastify({
    // Per-request lines are info level; the http logger keeps warnings and errors only.
    // pino's Logger and fastify's logger type differ only in generics.
    loggerInstance: deps.logger.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
  });

  app.get('/healthz', async (_req, reply) => {
    const entries = await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]): Promise<[string, { ok: boolean } & Record<string, unknown>]> => {
        try {
          return [name, { ...(await withTimeout(Promise.resolve().then(check), 3000)), ok: true }];
        } catch (err) {
          return [name, { ok: false, error: (err as Error).message }];
        }
      }),
    );
    const healthy = entries.every(([, r]) => r.ok);
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'degraded', checks: Object.fromEntries(entries) });
  });

  return app;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
