import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** Every API error has one shape: `{ error: "what is wrong", details?: ["field: problem", …] }`. */
export function sendError(reply: FastifyReply, status: number, error: string, details?: string[]) {
  return reply.code(status).send({ error, ...(details?.length ? { details } : {}) });
}

/** Validation failures → 400 with the fields; oversized bodies → 413; unknown paths → 404; anything else → 500 without internals. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const details = err.validation.map((v) => `${v.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(body)'}: ${v.message ?? 'invalid'}`);
      return sendError(reply, 400, `invalid request ${err.validationContext ?? ''}`.trim(), details);
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, `request body too large (limit ${req.routeOptions.config && 'bodyLimit' in req.routeOptions ? String(req.routeOptions.bodyLimit) : 'see STATETRACE_API_BODY_LIMIT'} bytes)`);
    if (err.statusCode === 429) return sendError(reply, 429, err.message);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendError(reply, err.statusCode, err.message);
    req.log.error({ err }, 'request failed');
    return sendError(reply, 500, 'internal error; the server log has the details');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, `no such endpoint: ${req.method} ${req.url.split('?')[0]}`));
}
