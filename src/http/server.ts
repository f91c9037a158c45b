import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../logger';
import { installErrorHandlers, sendError } from './api-errors';

/** A named dependency check: resolves with details when healthy, throws when not. */
export type HealthCheck = () => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface HttpServerDeps {
  logger: Logger;
  checks: Record<string, HealthCheck>;
  /** Largest request body accepted (bytes). */
  bodyLimit?: number;
  /** Requests per minute per client address on /api, before authentication (tokens have their own limit, auth.ts); 0: no limit. */
  addressRateLimitPerMinute?: number;
}

/**
 * The HTTP server: /healthz, and the REST API mounted by the api modules (routes declared
 * with zod schemas: validated, serialised and listed in /api/v1/openapi.json).
 */
export async function buildHttpServer(deps: HttpServerDeps) {
  const app = Fastify({
    // Per-request lines are info level; the http logger keeps warnings and errors only.
    // pino's Logger and fastify's logger type differ only in generics.
    loggerInstance: deps.logger.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? 256 * 1024,
    // The router's own refusals (a malformed %-escape, a path parameter over 100 characters) in the API's error shape too.
    frameworkErrors: (err, _req, reply) => void sendError(reply, err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400, err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is over 100 characters' : 'malformed URL (bad %-escape)'),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'StateTrace API', version: '1.0.0', description: 'Route health, outages and their automation. Bearer tokens from `statetrace tokens create` (scopes read ⊂ write ⊂ admin).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  const perAddress = deps.addressRateLimitPerMinute ?? 3000;
  if (perAddress > 0) {
    await app.register(rateLimit, {
      max: perAddress,
      timeWindow: 60_000,
      keyGenerator: (req) => req.ip,
      // By the route the router matched, not the raw URL (the router decodes `/%61pi/…` to `/api/…`); unmatched paths count too.
      allowList: (req) => req.routeOptions.url !== undefined && !req.routeOptions.url.startsWith('/api/'),
      errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: `rate limit: ${ctx.max} requests per minute from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s`, message: `rate limit: ${ctx.max} requests per minute from this address` }),
    });
  }

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
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

export type HttpServer = Awaited<ReturnType<typeof buildHttpServer>>;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
