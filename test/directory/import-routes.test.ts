import { importRouteFile } from '../../src/directory/import-routes';
import { RouteFileError } from '../../src/directory/parse-route-file';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { snapshotDatabase, useTestDatabase } from '../support/database';
import { VALID_ROUTE_FILE, variant, writeTempFile } from '../fixtures/route-files';

const db = useTestDatabase('import');
const logger = createLogger('silent');
const actor = { platform: 'cli' as const, id: 'tester' };
const importText = (text: string, maxBytes = 1 << 20) => importRouteFile(writeTempFile(text), { models, maxBytes, actor, logger });

beforeEach(() => db.clear());

describe('importRouteFile', () => {
  it('stores every section and reports what it created', async () => {
    const result = await importText(VALID_ROUTE_FILE);
    expect(result.sections.routes).toEqual({ created: 2, updated: 0, unchanged: 0 });
    expect(result.sections.classes).toEqual({ created: 1, updated: 0, unchanged: 0 });
    const r1 = await models.RouteRecord.findById('r1').select('+customerIds').lean();
    expect(r1).toMatchObject({
      name: 'Route one',
      routeClass: 'core',
      primary: true,
      customerIds: ['CUST-1'],
      failoverPolicy: 'manual',
      paths: [
        { id: 'main', role: 'primary', nextHop: '127.0.0.1' },
        { id: 'standby', role: 'backup', nextHop: '127.0.0.2' },
      ],
      source: { sha256: result.sha256 },
    });
    expect(await models.NotificationPreference.findById('team:core-net').lean()).toMatchObject({ subject: { kind: 'team', id: 'core-net' } });
    expect(await models.FailoverPolicy.findById('manual').lean()).toMatchObject({ executor: { kind: 'command', argv: ['true'] } });
    const audit = await models.AuditEntry.find({ action: 'routes.import' }).lean();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor, outcome: 'ok' });
  });

  it('keeps sensitive customer ids out of ordinary reads', async () => {
    await importText(VALID_ROUTE_FILE);
    const plain = await models.RouteRecord.findById('r1').lean();
    expect(plain).not.toHaveProperty('customerIds');
  });

  it('is idempotent: a second import of the same file changes nothing', async () => {
    await importText(VALID_ROUTE_FILE);
    const before = await models.RouteRecord.find().select('+customerIds').lean();
    const again = await importText(VALID_ROUTE_FILE);
    expect(again.sections.routes).toEqual({ created: 0, updated: 0, unchanged: 2 });
    expect(again.sections.failoverPolicies).toEqual({ created: 0, updated: 0, unchanged: 1 });
    expect(await models.RouteRecord.find().select('+customerIds').lean()).toEqual(before);
  });

  it('updates a changed route, keeps its createdAt, and leaves the others alone', async () => {
    await importText(VALID_ROUTE_FILE);
    const created = (await models.RouteRecord.findById('r1').lean())!.createdAt;
    const result = await importText(variant('name: Route one', 'name: Route one (renamed)'));
    expect(result.sections.routes).toEqual({ created: 0, updated: 1, unchanged: 1 });
    const r1 = (await models.RouteRecord.findById('r1').lean())!;
    expect(r1.name).toBe('Route one (renamed)');
    expect(r1.createdAt).toEqual(created);
  });

  it("stores a path probe's interface and source address, and a change of either is an update", async () => {
    const withProbe = (binding: string) =>
      variant('{ id: main, role: primary, nextHop: 127.0.0.1 }', `{ id: main, role: primary, nextHop: 127.0.0.1, probe: { kind: icmp, target: 127.0.0.1, ${binding} } }`);
    await importText(withProbe('source: 127.0.0.1'));
    const changed = await importText(withProbe('source: 127.0.0.2'));
    expect(changed.sections.routes).toEqual({ created: 0, updated: 1, unchanged: 1 });
    expect((await models.RouteRecord.findById('r1').lean())!.paths[0]!.probe).toMatchObject({ target: '127.0.0.1', source: '127.0.0.2' });
    expect((await importText(withProbe('interface: lo'))).sections.routes).toEqual({ created: 0, updated: 1, unchanged: 1 });
    expect((await models.RouteRecord.findById('r1').lean())!.paths[0]!.probe).toMatchObject({ interface: 'lo' });
    expect((await importText(withProbe('interface: lo'))).sections.routes).toEqual({ created: 0, updated: 0, unchanged: 2 });
  });

  it('returns and logs the warnings of a file it imported', async () => {
    const lines: string[] = [];
    const listening = createLogger('warn', { write: (line: string) => lines.push(line) });
    const result = await importRouteFile(writeTempFile(VALID_ROUTE_FILE), { models, maxBytes: 1 << 20, actor, logger: listening });
    expect(result.sections.routes.created).toBe(2);
    expect(result.warnings.map((w) => w.field)).toEqual(['routes[0].paths[0]']);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([expect.stringMatching(/^route file warning: .*:28:9: routes\[0\]\.paths\[0\]: has no probe/)]);
  });

  it('re-imports 150 changed routes (FerretDB 1.24 hangs on one bulk write of 100 or more updates)', async () => {
    const file = (suffix: string) => `version: 1
classes: [{ id: core, thresholds: { latencyMs: 100, lossPct: 20, jitterMs: 30 } }]
teams: [{ id: net, name: Net, contact: net@example.com }]
routes:
${Array.from({ length: 150 }, (_, i) => `  - { id: many-${i}, name: Route ${i}${suffix}, environment: test, primary: true, class: core, probes: [{ kind: icmp, target: 198.18.200.1 }], paths: [{ id: primary, role: primary, nextHop: 198.18.201.1 }], owner: { team: net } }`).join('\n')}
`;
    await importText(file(''));
    const result = await importText(file(' (renamed)'));
    expect(result.sections.routes).toEqual({ created: 0, updated: 150, unchanged: 0 });
    expect(await models.RouteRecord.countDocuments({ name: /renamed/ })).toBe(150);
  }, 60_000);

  it('keeps maintenance windows added at run time when the file is re-imported', async () => {
    await importText(VALID_ROUTE_FILE);
    const window = { start: new Date('2031-01-01T00:00:00Z'), end: new Date('2031-01-01T01:00:00Z'), reason: 'chat maint', source: 'chat' };
    await models.RouteRecord.updateOne({ _id: 'r1' }, { $push: { maintenance: window } });
    await importText(variant('name: Route one', 'name: Route one (renamed)'));
    expect((await models.RouteRecord.findById('r1').lean())!.maintenance).toMatchObject([{ reason: 'chat maint', source: 'chat' }]);
  });

  it('lists routes in the directory that the file does not mention', async () => {
    await importText(VALID_ROUTE_FILE);
    const withoutR2 = VALID_ROUTE_FILE.slice(0, VALID_ROUTE_FILE.indexOf('  - id: r2'));
    const result = await importText(withoutR2);
    expect(result.routesNotInFile).toEqual(['r2']);
    expect(await models.RouteRecord.countDocuments()).toBe(2);
  });

  describe('refuses bad input with a specific message and writes nothing', () => {
    const cases: [string, () => string, RegExp][] = [
      ['broken YAML', () => variant('    name: Route one', '    name: [Route one'), /YAML syntax/],
      ['duplicate ids', () => variant('  - id: r2\n', '  - id: r1\n'), /routes\[1\]\.id: duplicate id "r1"/],
      ['unknown dependency', () => variant('dependencies: [isp-a]', 'dependencies: [isp-z]'), /routes\[1\]\.dependencies\[0\]: unknown dependency "isp-z"/],
      ['missing owner', () => variant('    owner: { team: core-net }\n', ''), /routes\[0\]\.owner: is required/],
      ['bad IP', () => variant('nextHop: 127.0.0.2', 'nextHop: 127.0.0.999'), /routes\[0\]\.paths\[1\]\.nextHop: not an IP address/],
      ['oversized file', () => `${VALID_ROUTE_FILE}#${'x'.repeat(2 << 20)}\n`, /the limit is 1048576 bytes/],
    ];
    it.each(cases)('%s', async (_name, makeText, message) => {
      await importText(VALID_ROUTE_FILE);
      const before = await snapshotDatabase();
      const error = await importText(makeText()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RouteFileError);
      expect((error as Error).message).toMatch(message);
      expect(await snapshotDatabase()).toEqual(before);
    });

    it('on an empty database too', async () => {
      const error = await importText(variant('nextHop: 127.0.0.2', 'nextHop: bad')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RouteFileError);
      expect(await models.RouteRecord.countDocuments()).toBe(0);
      expect(await models.RouteClass.countDocuments()).toBe(0);
      expect(await models.AuditEntry.countDocuments()).toBe(0);
    });
  });

  it('restores the previous documents when a write fails part-way', async () => {
    await importText(VALID_ROUTE_FILE);
    const before = await snapshotDatabase();
    // The routes are written last; make that write fail after classes, teams and policies changed.
    const changed = variant('latencyMs: 50', 'latencyMs: 75', variant('name: Route one', 'name: Changed'));
    const spy = jest.spyOn(models.RouteRecord, 'bulkWrite').mockRejectedValueOnce(new Error('connection reset'));
    try {
      await expect(importText(changed)).rejects.toThrow('connection reset');
    } finally {
      spy.mockRestore();
    }
    expect((await models.RouteClass.findById('core').lean())!.thresholds.latencyMs).toBe(50);
    expect(await snapshotDatabase()).toEqual(before);
  });
});
