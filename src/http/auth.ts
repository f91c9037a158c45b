import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
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

/**
 * Bearer-token authentication for /api/v1: `requireScope('write')` as a route's preHandler
 * answers 401 (no or unknown token) or 403 (scope too small) and sets `req.apiCaller`.
 * Checked tokens are kept for 30 s (a revocation takes that long to bite).
 */
export function createApiAuth(models: Pick<Models, 'ApiToken'>) {
  const cache = new Map<string, { at: number; caller: Promise<ApiCaller | undefined> }>();

  function callerOf(presented: string): Promise<ApiCaller | undefined> {
    const hit = cache.get(presented);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.caller;
    const caller = checkApiToken(models, presented);
    cache.set(presented, { at: Date.now(), caller });
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    caller.catch(() => cache.delete(presented));
    return caller;
  }

  async function identify(req: FastifyRequest): Promise<ApiCaller | undefined> {
    const presented = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    return presented ? callerOf(presented) : undefined;
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
