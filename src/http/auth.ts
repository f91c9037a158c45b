import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Actor } from '../../activities/outage-contract';
import type { Role } from '../config';
import type { Models } from '../models';
import type { ApiScope } from '../models/api-token';
import { checkApiToken, scopeAllows, type ApiCaller } from './api-tokens';
import { sendError } from './api-errors';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireScope: who the bearer token belongs to. */
    apiCaller?: ApiCaller;
  }
}

const CACHE_MS = 30_000;

export interface ApiAuthLimits {
  /** Requests per minute per verified token (0: no limit). */
  perTokenPerMinute: number;
  /** Failed authentications per minute per client address; past it the address gets 429 without a token lookup (0: no limit). */
  failuresPerMinute: number;
}

/** A 429 in the API's error shape (installErrorHandlers sends the message). */
const tooMany = (what: string, res: RateLimiterRes) => Object.assign(new Error(`rate limit: ${what}; retry in ${Math.max(1, Math.ceil(res.msBeforeNext / 1000))} s`), { statusCode: 429 });

/**
 * Bearer-token authentication for /api/v1: `requireScope('write')` as a route's preHandler
 * answers 401 (no or unknown token) or 403 (scope too small) and sets `req.apiCaller`.
 * Checked tokens are kept for 30 s (a revocation takes that long to bite). Rate limits key on
 * what was verified: the token once it is known (so nobody can spend another's allowance by
 * presenting its id), the client address for failures (so random bearers cannot buy fresh
 * allowances or unbounded token lookups).
 */
export function createApiAuth(models: Pick<Models, 'ApiToken'>, limits: ApiAuthLimits = { perTokenPerMinute: 0, failuresPerMinute: 0 }) {
  const cache = new Map<string, { at: number; caller: Promise<ApiCaller | undefined> }>();
  const perToken = limits.perTokenPerMinute > 0 ? new RateLimiterMemory({ points: limits.perTokenPerMinute, duration: 60 }) : undefined;
  const failures = limits.failuresPerMinute > 0 ? new RateLimiterMemory({ points: limits.failuresPerMinute, duration: 60 }) : undefined;

  function callerOf(presented: string): Promise<ApiCaller | undefined> {
    const hit = cache.get(presented);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.caller;
    const caller = checkApiToken(models, presented);
    cache.set(presented, { at: Date.now(), caller });
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    caller.catch(() => cache.delete(presented));
    return caller;
  }

  /** The verified caller, or undefined; throws a 429 when the token or the address is over its limit. */
  async function identify(req: FastifyRequest): Promise<ApiCaller | undefined> {
    const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!presented) return undefined;
    const failed = await failures?.get(req.ip);
    if (failed && failed.remainingPoints <= 0) throw tooMany(`${limits.failuresPerMinute} failed authentications per minute from this address`, failed);
    const caller = await callerOf(presented);
    if (!caller) {
      await failures?.consume(req.ip).catch(() => undefined);
      return undefined;
    }
    await perToken?.consume(caller.tokenId).catch((res: unknown) => {
      throw res instanceof RateLimiterRes ? tooMany(`${limits.perTokenPerMinute} requests per minute for this token`, res) : res;
    });
    return caller;
  }

  function requireScope(scope: ApiScope): preHandlerAsyncHookHandler {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const caller = await identify(req);
      if (!caller) return sendError(reply, 401, 'missing, unknown or revoked bearer token (create one with `statetrace tokens create`)');
      if (!scopeAllows(caller.scope, scope)) return sendError(reply, 403, `this needs a token with the ${scope} scope; yours (${caller.name}) has ${caller.scope}`);
      req.apiCaller = caller;
    };
  }

  return { identify, requireScope };
}

export type ApiAuth = ReturnType<typeof createApiAuth>;

/** The actor and command-core role of an API caller: read → viewer, write → responder, admin → admin. */
export function apiIdentity(caller: ApiCaller): { actor: Actor; role: Role } {
  const role: Record<ApiScope, Role> = { read: 'viewer', write: 'responder', admin: 'admin' };
  return { actor: { platform: 'api', id: caller.tokenId, name: caller.name }, role: role[caller.scope] };
}
