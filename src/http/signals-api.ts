import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { id } from '../directory/schema';
import { formatFieldPath } from '../directory/parse-route-file';
import type { Models } from '../models';
import { FAILURE_TAXONOMY } from '../models/route-health-snapshot';
import { shardOf } from '../sweeper/shard';
import { scopeAllows } from './api-tokens';
import type { ApiAuth } from './auth';
import type { HttpServer } from './server';

const signalSchema = z.strictObject({
  routeId: id(),
  status: z.enum(['up', 'degraded', 'down', 'unknown']),
  at: z.iso.datetime({ offset: true }).optional(),
  detail: z.string().max(500).optional(),
  taxonomy: z.array(z.enum(FAILURE_TAXONOMY)).max(FAILURE_TAXONOMY.length).optional(),
  latencyMs: z.number().nonnegative().max(600_000).optional(),
  lossPct: z.number().min(0).max(100).optional(),
  jitterMs: z.number().nonnegative().max(600_000).optional(),
});
const MAX_SIGNALS = 500;
/** How far ahead of this server's clock a signal's `at` may be (clock skew), in ms. */
const MAX_AHEAD_MS = 60_000;
/** Default oldest `at` accepted (STATETRACE_SIGNAL_MAX_AGE_SEC). */
export const DEFAULT_SIGNAL_MAX_AGE_SEC = 900;
const batchSchema = z.strictObject({ signals: z.array(signalSchema).min(1).max(MAX_SIGNALS) });

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The configured token this request carries, compared in constant time; undefined if none matches. */
function authenticate(req: FastifyRequest, tokens: { name: string; token: string }[]): string | undefined {
  const header = req.headers.authorization ?? '';
  const presented = /^Bearer (\S+)$/.exec(header)?.[1];
  if (!presented) return undefined;
  const got = digest(presented);
  return tokens.find((t) => timingSafeEqual(digest(t.token), got))?.name;
}

function refuse(reply: FastifyReply, code: number, error: string, details?: string[]) {
  return reply.code(code).send({ error, ...(details ? { details } : {}) });
}

/**
 * POST /api/v1/signals: external monitors push route health ({routeId, status, …} or
 * {signals: […]}) with a bearer token from STATETRACE_SIGNAL_TOKENS or an API token with the
 * write scope. All or nothing: one
 * invalid signal or unknown route refuses the request and nothing is stored. Accepted
 * signals wait in `pendingsignals` for the sweeper of the route's shard (next tick).
 */
export function registerSignalsApi(
  app: HttpServer,
  deps: { models: Pick<Models, 'RouteRecord' | 'PendingSignal'>; tokens: { name: string; token: string }[]; shardCount: number; auth?: ApiAuth; maxAgeSec?: number },
): void {
  app.post('/api/v1/signals', { schema: { hide: true } }, async (req, reply) => {
    // A monitor's STATETRACE_SIGNAL_TOKENS token, or an API token with the write scope (a
    // monitor's token is not looked up as an API token: it would count as a failed authentication).
    const monitor = authenticate(req, deps.tokens);
    const apiCaller = !monitor && deps.auth ? await deps.auth.identify(req) : undefined;
    const caller = monitor ?? (apiCaller && scopeAllows(apiCaller.scope, 'write') ? `api:${apiCaller.name}` : undefined);
    if (!caller) {
      if (apiCaller) return refuse(reply, 403, `signals need a token with the write scope; yours (${apiCaller.name}) has ${apiCaller.scope}`);
      return refuse(reply, 401, deps.tokens.length === 0 && !deps.auth ? 'signals API disabled: no STATETRACE_SIGNAL_TOKENS configured' : 'missing or invalid bearer token');
    }
    const isBatch = typeof req.body === 'object' && req.body !== null && 'signals' in req.body;
    const parsed = (isBatch ? batchSchema : signalSchema).safeParse(req.body);
    if (!parsed.success) {
      return refuse(reply, 400, 'invalid signal payload', parsed.error.issues.map((i) => `${formatFieldPath(i.path.filter((p) => typeof p !== 'symbol')) || '(body)'}: ${i.message}`));
    }
    const signals = 'signals' in parsed.data ? parsed.data.signals : [parsed.data];
    // A future `at` would hide telemetry gaps and write series that retention never reaches; a
    // very old one is history, not news.
    const receivedAt = new Date();
    const maxAgeSec = deps.maxAgeSec ?? DEFAULT_SIGNAL_MAX_AGE_SEC;
    const outOfWindow = signals.flatMap((s, i) => {
      if (s.at === undefined) return [];
      const where = 'signals' in parsed.data ? `signals[${i}].at` : 'at';
      const offset = new Date(s.at).getTime() - receivedAt.getTime();
      if (offset > MAX_AHEAD_MS) return [`${where}: ${s.at} is ${Math.round(offset / 1000)} s ahead of this server's clock (at most ${MAX_AHEAD_MS / 1000} s)`];
      if (-offset > maxAgeSec * 1000) return [`${where}: ${s.at} is older than ${maxAgeSec} s (STATETRACE_SIGNAL_MAX_AGE_SEC)`];
      return [];
    });
    if (outOfWindow.length > 0) return refuse(reply, 400, 'invalid signal payload', outOfWindow);
    const ids = [...new Set(signals.map((s) => s.routeId))];
    const known = new Set((await deps.models.RouteRecord.find({ _id: { $in: ids } }, { _id: 1 }).lean()).map((r) => r._id));
    const unknown = ids.filter((r) => !known.has(r));
    if (unknown.length > 0) return refuse(reply, 404, 'unknown route', unknown.map((r) => `routeId "${r}" is not in the directory`));
    await deps.models.PendingSignal.insertMany(
      signals.map((s) => ({ ...s, at: s.at ? new Date(s.at) : receivedAt, receivedAt, source: 'api', shard: shardOf(s.routeId, deps.shardCount), submittedBy: caller })),
    );
    return reply.code(202).send({ accepted: signals.length });
  });
}
