import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createFailoverActivities } from '../../activities/failover-executor';
import type { VerifyPathResult } from '../../activities/outage-contract';
import { importRouteFile, type ImportResult } from '../../src/directory/import-routes';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { writeTempFile } from '../fixtures/route-files';
import { useTestDatabase } from '../support/database';
import { twoPathHostUp, type TwoPathHost } from '../testbed/two-path-host';

/**
 * verifyPath, as failback checks call it for the primary path while the route is on its backup,
 * on a host with two uplinks: from the route file through the stored route to the probe. The
 * primary path of `bound` is probed from its interface at its next hop; that of `follows`
 * targets the destination, as a new user writes it (issue 15, defect 9).
 */
useTestDatabase('verify_path_binding');

const activities = createFailoverActivities({ models, logger: createLogger('silent') });
const verify = (routeId: string): Promise<VerifyPathResult> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) }).run(activities.verifyPath, { routeId, pathId: 'primary' });

function routeFile(h: TwoPathHost): string {
  const { primary, backup } = h.paths;
  const route = (id: string, primaryProbe: string) => `  - id: ${id}
    name: Route ${id}
    environment: lab
    primary: true
    class: core
    destination: ${h.destinationPrefix}
    probes:
      - { kind: icmp, target: ${h.destination}, count: 3, intervalMs: 20, timeoutMs: 500 }
    paths:
      - id: primary
        role: primary
        nextHop: ${primary.nextHop}
        probe: ${primaryProbe}
      - { id: backup, role: backup, nextHop: ${backup.nextHop}, probe: { kind: icmp, target: ${h.destination}, count: 3, intervalMs: 20, timeoutMs: 500 } }
    owner: { team: core-net }
    failoverPolicy: static
`;
  return `version: 1
classes:
  - id: core
    thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 }
teams:
  - { id: core-net, name: Core Network, contact: core-net@example.com }
failoverPolicies:
  - { id: static, mode: automatic, failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 60, executor: { kind: command, argv: ["true"] } }
routes:
${route('bound', `{ kind: icmp, target: ${primary.nextHop}, interface: ${primary.interface}, count: 3, intervalMs: 20, timeoutMs: 500 }`)}
${route('follows', `{ kind: icmp, target: ${h.destination}, count: 3, intervalMs: 20, timeoutMs: 500 }`)}`;
}

let host: TwoPathHost;
let fileLines: string[];
let imported: ImportResult;
beforeAll(async () => {
  host = await twoPathHostUp(1);
  const text = routeFile(host);
  fileLines = text.split('\n');
  imported = await importRouteFile(writeTempFile(text), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger: createLogger('silent') });
}, 60_000);
afterAll(() => host?.down(), 60_000);

it('stores the binding: the imported route keeps the probe interface', async () => {
  const route = await models.RouteRecord.findById('bound').lean();
  expect(route!.paths[0]!.probe).toMatchObject({ kind: 'icmp', target: host.paths.primary.nextHop, interface: host.paths.primary.interface });
});

it('warns at import about the primary probe that follows the active route, and only about it', () => {
  expect(imported.warnings.map((w) => w.field)).toEqual(['routes[1].paths[0].probe']);
  const { line, column, message } = imported.warnings[0]!;
  // It points at the probe of the second route's primary path.
  expect(fileLines.slice(0, line! - 1).filter((l) => l.includes('- id: follows'))).toHaveLength(1);
  expect(fileLines[line! - 1]!.slice(column! - 1)).toBe(`{ kind: icmp, target: ${host.destination}, count: 3, intervalMs: 20, timeoutMs: 500 }`);
  expect(message).toMatch(/^targets 198\.19\.88\.1, inside the route's destination 198\.19\.88\.0\/24, from no particular interface or source: it measures whatever route is active, not this path/);
});

describe('verifyPath of the primary while the route is on its backup', () => {
  it('with the primary link down: no for the bound probe; yes for the probe that follows the route (the defect)', async () => {
    await host.cut('primary');
    await host.routeVia('backup');
    const [bound, follows] = await Promise.all([verify('bound'), verify('follows')]);
    expect(bound).toMatchObject({ ok: false, status: 'down' });
    expect(bound.detail).toContain(`icmp ${host.paths.primary.nextHop}: down (cannot send from ${host.paths.primary.interface}`);
    expect(follows).toMatchObject({ ok: true, status: 'up' });
  }, 30_000);

  it('with the primary link back: yes for the bound probe, so failback can go ahead', async () => {
    await host.restore('primary');
    expect(await host.activeInterface()).toBe(host.paths.backup.interface);
    await expect(verify('bound')).resolves.toMatchObject({ ok: true, status: 'up' });
  }, 30_000);
});
