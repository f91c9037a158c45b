import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createRouteDirectoryActivities, type RouteContext } from '../../activities/route-directory';
import { createCommandCore, type CoreDeps } from '../../bot/core/command-core';
import { parseCommand } from '../../bot/core/parse-command';
import { putRoute } from '../../src/directory/edit-route';
import { importRouteFile } from '../../src/directory/import-routes';
import { parseRouteFile } from '../../src/directory/parse-route-file';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { useTestDatabase } from '../support/database';
import { variant, writeTempFile } from '../fixtures/route-files';

/**
 * Maintenance windows opened at run time (chat `maint`) while the route's declaration is
 * replaced (file import, PUT /api/v1/routes/:id): on FerretDB 1.x, whose updates of one
 * document are not atomic, none of them may be lost.
 */
const db = useTestDatabase('maintenance_windows');
const logger = createLogger('silent');
const ALICE = { platform: 'slack', id: 'U0ALICE', name: 'alice' } as const;
const FILE_WINDOW = '    maintenance: [{ start: "2031-01-01T00:00:00Z", end: "2031-01-01T02:00:00Z", reason: "declared in the file" }]\n';
const WITH_FILE_WINDOW = variant('    failoverPolicy: manual\n', `    failoverPolicy: manual\n${FILE_WINDOW}`);

// maint changes no outage: nothing here reaches Temporal.
const core = createCommandCore({ models, workflows: {} as CoreDeps['workflows'], taskQueue: 'unused', runbooks: { forIncident: () => [], get: () => undefined }, logger });
const directory = createRouteDirectoryActivities({ models });
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) });

const importText = (text: string) => importRouteFile(writeTempFile(text), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 'tester' }, logger });
const maint = (text: string, requestId: string) => {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(parsed.reply);
  return core.run({ command: parsed.command, actor: ALICE, role: 'responder', requestId });
};
const routeSpec = (name: string) => ({ ...parseRouteFile(WITH_FILE_WINDOW, 'routes.yaml').routes[0]!, name });
const maintenanceOf = async (routeId: string) => {
  const [ctx] = await env.run<[string[]], RouteContext[], typeof directory.loadRouteContexts>(directory.loadRouteContexts, [routeId]);
  return ctx!.maintenance;
};

beforeEach(() => db.clear());

describe('run-time maintenance windows', () => {
  it('all survive 8 concurrent maint commands racing a file import and a PUT of the same route', async () => {
    await importText(WITH_FILE_WINDOW);
    const reasons: string[] = [];
    for (const round of [1, 2, 3]) {
      const opened = Array.from({ length: 8 }, (_, i) => `round ${round} window ${i}`);
      reasons.push(...opened);
      const results = await Promise.all([
        ...opened.map((reason, i) => maint(`maint r1 2h ${reason}`, `race-${round}-${i}`)),
        importText(variant('name: Route one', `name: Route one (import ${round})`, WITH_FILE_WINDOW)),
        putRoute(models, routeSpec(`Route one (put ${round})`), { platform: 'api', id: 'tok', name: 'ops' }),
      ]);
      expect(results.slice(0, 8).every((r) => 'ok' in r && r.ok)).toBe(true);
    }
    const windows = await maintenanceOf('r1');
    expect(windows.map((w) => w.reason).sort()).toEqual([...reasons, 'declared in the file'].sort());
    // The route document itself holds only what the file and PUT declare.
    expect((await models.RouteRecord.findById('r1').lean())!.maintenance.map((w) => w.reason)).toEqual(['declared in the file']);
  }, 60_000);

  it('a window of the file that a PUT sends back stays the file\'s: removed from the file, it is gone after the next import', async () => {
    await importText(WITH_FILE_WINDOW);
    expect(await putRoute(models, routeSpec('Route one (put)'), { platform: 'api', id: 'tok' })).toEqual({ ok: true, created: false });
    await importText(WITH_FILE_WINDOW);
    expect((await maintenanceOf('r1')).map((w) => w.reason)).toEqual(['declared in the file']);
    await importText(WITH_FILE_WINDOW.replace(FILE_WINDOW, ''));
    expect(await maintenanceOf('r1')).toEqual([]);
  });

  it('windows that maint stored in route documents before this version are still read, and kept by import and PUT', async () => {
    await importText(WITH_FILE_WINDOW);
    const start = new Date(Date.now() - 60_000);
    const end = new Date(Date.now() + 3_600_000);
    await models.RouteRecord.updateOne({ _id: 'r1' }, { $push: { maintenance: { start, end, reason: 'opened before the upgrade', source: 'chat', createdBy: ALICE } } });
    await maint('maint r1 1h opened after the upgrade', 'after-upgrade');
    await importText(variant('name: Route one', 'name: Route one (renamed)', WITH_FILE_WINDOW));
    await putRoute(models, routeSpec('Route one (put)'), { platform: 'api', id: 'tok' });

    expect((await maintenanceOf('r1')).map((w) => w.reason)).toEqual(['opened before the upgrade', 'opened after the upgrade', 'declared in the file']);
    const status = await core.run({ command: { name: 'status', route: 'r1' }, actor: ALICE, role: 'viewer', requestId: 'status-1' });
    expect(status.text).toMatch(/in maintenance until .* UTC: opened (before|after) the upgrade/);
  });

  it('maint on a route that does not exist opens nothing', async () => {
    await importText(WITH_FILE_WINDOW);
    expect(await maint('maint nope 1h x', 'nope-1')).toEqual({ ok: false, ephemeral: true, text: 'there is no route nope' });
    expect(await models.MaintenanceWindow.countDocuments()).toBe(0);
  });
});
