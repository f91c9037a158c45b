import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { createRouteDirectoryActivities, type RouteContext } from '../../activities/route-directory';
import { importRouteFile } from '../../src/directory/import-routes';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { useTestDatabase } from '../support/database';
import { VALID_ROUTE_FILE, variant, writeTempFile } from '../fixtures/route-files';

useTestDatabase('route_directory');
const activities = createRouteDirectoryActivities({ models });
// Activity failures are expected here; keep the SDK's log of them out of the test output.
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) });

beforeAll(async () => {
  await importRouteFile(writeTempFile(VALID_ROUTE_FILE), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger: createLogger('silent') });
});

describe('loadRouteContexts', () => {
  it('gathers route, paths, class, owner and policies', async () => {
    const [ctx] = await env.run<[string[]], RouteContext[], typeof activities.loadRouteContexts>(activities.loadRouteContexts, ['r1']);
    expect(ctx!.route).toEqual({ id: 'r1', name: 'Route one', environment: 'lab', primary: true, dependencies: ['core-rtr-1'], runbooks: [] });
    expect(ctx!.paths.map((p) => `${p.role}:${p.nextHop}`)).toEqual(['primary:127.0.0.1', 'backup:127.0.0.2']);
    // No confirm in the file, and the default debounce (3 failures to down) already confirms.
    expect(ctx!.routeClass).toEqual({ id: 'core', telemetrySlaSec: 30, thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 }, confirm: { attempts: 0, intervalMs: 1000 } });
    expect(ctx!.owner).toEqual({ team: 'core-net', name: 'Core Network', contact: 'core-net@example.com', oncall: { slack: [], discord: [] } });
    expect(ctx!.failoverPolicy).toEqual({ id: 'manual', mode: 'manual', failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 60, failbackMode: 'automatic' });
    expect(ctx!.maintenance).toEqual([]);
    expect(ctx!.escalationPolicy).toBeUndefined();
    // Temporal serialises activity results as JSON: nothing may be lost on the way.
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
  });

  it('prefers the route contact over the team contact', async () => {
    const [r2, r1] = await env.run<[string[]], RouteContext[], typeof activities.loadRouteContexts>(activities.loadRouteContexts, ['r2', 'r1']);
    expect(r2!.owner.contact).toBe('bob@example.com');
    expect(r1!.route.id).toBe('r1');
  });

  it("gives the class's confirm as the file sets it, the rest derived from its debounce", async () => {
    const reimport = (text: string) => importRouteFile(writeTempFile(text), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger: createLogger('silent') });
    const classLine = '    thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 }\n';
    const load = async () => (await env.run<[string[]], RouteContext[], typeof activities.loadRouteContexts>(activities.loadRouteContexts, ['r1']))[0]!.routeClass.confirm;
    try {
      await reimport(variant(classLine, `${classLine}    debounce: { failuresToDown: 1 }\n    confirm: { intervalMs: 300 }\n`));
      expect(await load()).toEqual({ attempts: 2, intervalMs: 300 });
      await reimport(variant(classLine, `${classLine}    confirm: { attempts: 4, intervalMs: 0 }\n`));
      expect(await load()).toEqual({ attempts: 4, intervalMs: 0 });
    } finally {
      await reimport(VALID_ROUTE_FILE);
    }
    expect(await load()).toEqual({ attempts: 0, intervalMs: 1000 });
  });

  it('fails an unknown route without retries', async () => {
    const err = await env.run(activities.loadRouteContexts, ['r1', 'nope']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: true, type: 'UnknownRoute', message: 'unknown route "nope"' });
  });
});

describe('appendAuditEntry', () => {
  it('records one entry for repeated calls with the same idempotency key', async () => {
    const entry = {
      idempotencyKey: 'ack:inc-9:U1',
      at: new Date('2026-11-25T00:00:00Z'),
      actor: { platform: 'slack' as const, id: 'U1' },
      action: 'incident.acknowledge',
      target: { kind: 'incident', id: 'inc-9' },
      outcome: 'ok' as const,
    };
    await env.run(activities.appendAuditEntry, entry);
    await env.run(activities.appendAuditEntry, entry);
    const stored = await models.AuditEntry.find({ action: 'incident.acknowledge' }).lean();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ _id: 'ack:inc-9:U1', actor: { id: 'U1' }, outcome: 'ok' });
  });
});
