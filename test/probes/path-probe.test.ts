import { probeIcmp } from '../../src/probes/icmp';
import { probeIcmpBatch } from '../../src/probes/icmp-batch';
import type { IcmpProbeSpec, Measurement } from '../../src/probes/types';
import { twoPathHostUp, type TwoPathHost } from '../testbed/two-path-host';

/**
 * Probes of one path on a host with two uplinks (test/testbed/two-path-host.ts), in the state a
 * failback check meets: the route to the destination is on its backup. A probe that follows the
 * routing table (to the destination, unbound) reads the backup's health; a probe sent from the
 * primary's interface to the primary's next hop reads the primary's own.
 */
let host: TwoPathHost;
beforeAll(async () => {
  host = await twoPathHostUp(0);
}, 60_000);
afterAll(() => host?.down(), 60_000);

const burst = { count: 3, intervalMs: 20, timeoutMs: 500 };
const both = (spec: Omit<IcmpProbeSpec, 'kind' | 'count' | 'intervalMs' | 'timeoutMs'>): Promise<Measurement[]> =>
  Promise.all([probeIcmp({ kind: 'icmp', ...burst, ...spec }), probeIcmpBatch([{ kind: 'icmp-batch', ...burst, ...spec }]).then(([m]) => m!)]);

/** The state failback checks see: primary link `state`, route on the backup. */
async function onBackupWithPrimary(state: 'down' | 'up'): Promise<void> {
  if (state === 'down') await host.cut('primary');
  else await host.restore('primary');
  await host.routeVia('backup');
  expect(await host.activeInterface()).toBe(host.paths.backup.interface);
}

describe('a probe bound to the primary path, while the route is on its backup', () => {
  it('reads down with the primary link down, where an unbound probe of the destination reads up', async () => {
    await onBackupWithPrimary('down');
    const primary = host.paths.primary;
    const [[unbound], [ping, fping]] = await Promise.all([both({ target: host.destination }), both({ target: primary.nextHop, interface: primary.interface })]);
    expect(unbound).toMatchObject({ status: 'up', lossPct: 0 });
    // ping cannot send from a downed interface; fping sends nothing that is answered.
    expect(ping).toMatchObject({ kind: 'icmp', status: 'down', lossPct: 100, taxonomy: ['unreachable'], detail: `cannot send from ${primary.interface} (ping: connect: Network is unreachable)` });
    expect(fping).toMatchObject({ kind: 'icmp-batch', status: 'down', lossPct: 100, taxonomy: ['unreachable'] });
  }, 30_000);

  it('reads up once the primary link is back, though the route stays on the backup', async () => {
    await onBackupWithPrimary('up');
    const primary = host.paths.primary;
    for (const m of await both({ target: primary.nextHop, interface: primary.interface })) expect(m).toMatchObject({ status: 'up', lossPct: 0 });
  }, 30_000);
});

describe('what binding alone does not do', () => {
  it('bound to the primary interface, the destination reads down while the route is elsewhere, until a standby route via the primary covers it', async () => {
    await onBackupWithPrimary('up');
    const spec = { target: host.destination, interface: host.paths.primary.interface };
    // No route via the primary's interface covers the destination: the kernel takes it for a neighbour there and nobody answers ARP.
    for (const m of await both(spec)) expect(m).toMatchObject({ status: 'down', lossPct: 100 });
    await host.addStandbyRoute('primary', 500);
    expect(await host.activeInterface()).toBe(host.paths.backup.interface);
    for (const m of await both(spec)) expect(m).toMatchObject({ status: 'up', lossPct: 0 });
  }, 30_000);
});

describe('a probe from the primary path source address, with a policy rule that sends it by the path', () => {
  it('reads the primary: up on the backup with the primary healthy, down when the primary link goes down, up when it is back', async () => {
    await onBackupWithPrimary('up');
    await host.sendFromViaPolicy('primary');
    const spec = { target: host.destination, source: host.paths.primary.address };
    for (const m of await both(spec)) expect(m).toMatchObject({ status: 'up', lossPct: 0 });

    await onBackupWithPrimary('down');
    for (const m of await both(spec)) expect(m).toMatchObject({ status: 'down', lossPct: 100 });

    await onBackupWithPrimary('up');
    await host.sendFromViaPolicy('primary'); // the kernel dropped the table's route with the link
    for (const m of await both(spec)) expect(m).toMatchObject({ status: 'up', lossPct: 0 });
  }, 30_000);
});
