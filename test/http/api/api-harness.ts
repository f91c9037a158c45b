import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { CoreDeps } from '../../../bot/core/command-core';
import { importRouteFile } from '../../../src/directory/import-routes';
import { registerApiV1 } from '../../../src/http/api';
import { createApiToken } from '../../../src/http/api-tokens';
import { createApiAuth } from '../../../src/http/auth';
import { buildHttpServer, type HttpServer } from '../../../src/http/server';
import { createLogger } from '../../../src/logger';
import { models } from '../../../src/models';
import type { ApiScope } from '../../../src/models/api-token';
import { loadRunbooks } from '../../../src/runbooks/load-runbooks';
import { VALID_ROUTE_FILE, writeTempFile } from '../../fixtures/route-files';

export const logger = createLogger('silent');
export const BODY_LIMIT = 64 * 1024;

/** For tests that never reach an action: any Temporal call fails loudly. */
const noTemporal: CoreDeps['workflows'] = {
  getHandle: () => {
    throw new Error('this test has no Temporal');
  },
  start: () => Promise.reject(new Error('this test has no Temporal')),
};

export interface ApiRig {
  app: HttpServer;
  tokens: Record<ApiScope, string>;
  /** A request with the token of `as` (null: none). */
  call(method: InjectOptions['method'], url: string, opts?: { as?: ApiScope | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
}

/** The API on the test database with VALID_ROUTE_FILE imported and one token per scope; call in beforeAll after useTestDatabase. */
export async function startApiRig(opts: { workflows?: CoreDeps['workflows']; taskQueue?: string; limits?: { perToken?: number; perAddress?: number; failures?: number } } = {}): Promise<ApiRig> {
  const app = await buildHttpServer({ logger, checks: {}, bodyLimit: BODY_LIMIT, addressRateLimitPerMinute: opts.limits?.perAddress ?? 0 });
  const auth = createApiAuth(models, { perTokenPerMinute: opts.limits?.perToken ?? 0, failuresPerMinute: opts.limits?.failures ?? 0 });
  registerApiV1(app, { models, auth, workflows: opts.workflows ?? noTemporal, taskQueue: opts.taskQueue ?? 'unused', runbooks: await loadRunbooks(), logger });
  await importRouteFile(writeTempFile(VALID_ROUTE_FILE), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 'test' }, logger });
  const createdBy = { platform: 'cli' as const, id: 'test' };
  const tokens = {
    read: (await createApiToken(models, { name: 'dash', scope: 'read', createdBy })).token,
    write: (await createApiToken(models, { name: 'automation', scope: 'write', createdBy })).token,
    admin: (await createApiToken(models, { name: 'netops', scope: 'admin', createdBy })).token,
  };
  return {
    app,
    tokens,
    call(method, url, { as = 'read', body, headers = {} } = {}) {
      return app.inject({
        method,
        url,
        headers: { ...(as ? { authorization: `Bearer ${tokens[as]}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
  };
}

/** A route as routes.yaml declares it (JSON), valid against VALID_ROUTE_FILE's directory. */
export const routeBody = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Route ${id}`,
  environment: 'lab',
  primary: false,
  class: 'core',
  probes: [{ kind: 'icmp', target: '127.0.0.1' }],
  paths: [
    { id: 'main', role: 'primary', nextHop: '127.0.0.1' },
    { id: 'standby', role: 'backup', nextHop: '127.0.0.2' },
  ],
  owner: { team: 'core-net' },
  ...extra,
});
