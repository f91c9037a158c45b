import { probeIcmp } from '../../src/probes/icmp';
import { probeIcmpBatch } from '../../src/probes/icmp-batch';
import { probeSnmp } from '../../src/probes/snmp';
import type { IcmpProbeSpec, SnmpProbeSpec } from '../../src/probes/types';
import { testbedUp, type Testbed } from '../testbed/testbed';

/** The probes against impairments injected on the testbed (id 12): what they report is what was injected. */
let tb: Testbed;
beforeAll(async () => {
  tb = await testbedUp({ id: 12, targets: 2 });
}, 60_000);
afterAll(() => tb?.down(), 60_000);

const icmp = (target: string, more: Partial<IcmpProbeSpec> = {}): IcmpProbeSpec => ({ kind: 'icmp', target, count: 30, intervalMs: 20, timeoutMs: 1000, ...more });

describe('ICMP probes on the testbed', () => {
  it('measure injected delay and jitter (80 ms ± 10 ms uniform)', async () => {
    await tb.degrade('primary', { delayMs: 80, jitterMs: 10 });
    try {
      const [single, [batch]] = await Promise.all([probeIcmp(icmp(tb.targets[0]!)), probeIcmpBatch([icmp(tb.targets[1]!, { kind: 'icmp-batch' })])]);
      for (const m of [single, batch!]) {
        expect(m.status).toBe('up');
        expect(m.latencyMs).toBeGreaterThan(75);
        expect(m.latencyMs).toBeLessThan(88);
        expect(m.latencyMinMs).toBeGreaterThanOrEqual(69);
        expect(m.latencyMaxMs).toBeLessThanOrEqual(95);
        // successive RTTs uniform over 20 ms apart differ by 20/3 ≈ 6.7 ms on average
        expect(m.jitterMs).toBeGreaterThan(3.5);
        expect(m.jitterMs).toBeLessThan(11);
      }
    } finally {
      await tb.heal('primary');
    }
  }, 30_000);

  it('measure injected loss (20 %)', async () => {
    await tb.degrade('primary', { lossPct: 20 });
    try {
      const [single, [batch]] = await Promise.all([
        probeIcmp(icmp(tb.targets[0]!, { count: 200, intervalMs: 10, timeoutMs: 500 })),
        probeIcmpBatch([icmp(tb.targets[1]!, { kind: 'icmp-batch', count: 200, intervalMs: 10, timeoutMs: 500 })]),
      ]);
      for (const m of [single, batch!]) {
        expect(m.status).toBe('up');
        expect(m.lossPct).toBeGreaterThan(10);
        expect(m.lossPct).toBeLessThan(31);
      }
    } finally {
      await tb.heal('primary');
    }
  }, 30_000);

  it('report a cut link as down/unreachable, and up again after heal', async () => {
    await tb.fail('primary');
    const cut = await probeIcmp(icmp(tb.targets[0]!, { count: 3, timeoutMs: 500 }));
    await tb.heal('primary');
    const healed = await probeIcmp(icmp(tb.targets[0]!, { count: 3 }));
    expect(cut).toMatchObject({ status: 'down', lossPct: 100, taxonomy: ['unreachable'] });
    expect(healed).toMatchObject({ status: 'up', lossPct: 0 });
  }, 30_000);
});

describe('SNMP probes against the testbed agent', () => {
  const v2c = (check: SnmpProbeSpec['check']): SnmpProbeSpec => ({ kind: 'snmp', agent: tb.agent.address, port: 161, version: '2c', community: 'public', timeoutMs: 1000, check });
  const v3 = (check: SnmpProbeSpec['check']): SnmpProbeSpec => ({
    kind: 'snmp',
    agent: tb.agent.address,
    port: 161,
    version: '3',
    user: tb.agent.v3.user,
    authProtocol: 'sha',
    authKeyEnv: 'TB_AUTH',
    privProtocol: 'aes',
    privKeyEnv: 'TB_PRIV',
    timeoutMs: 1000,
    check,
  });
  const env = () => ({ TB_AUTH: tb.agent.v3.authKey, TB_PRIV: tb.agent.v3.privKey });

  it('read the primary link state by ifIndex (GET) and by name (WALK), over v2c and v3 authPriv', async () => {
    const byIndex = { type: 'ifOperStatus' as const, ifIndex: tb.links.primary.ifIndex };
    const byName = { type: 'ifOperStatus' as const, ifName: tb.links.primary.edgeIf };
    const up = await Promise.all([probeSnmp(v2c(byIndex)), probeSnmp(v2c(byName)), probeSnmp(v3(byIndex), { env: env() }), probeSnmp(v3(byName), { env: env() })]);
    expect(up.map((m) => m.status)).toEqual(['up', 'up', 'up', 'up']);

    await tb.fail('primary');
    try {
      // snmpd refreshes its interface table every few seconds: poll until it shows the cut.
      const deadline = Date.now() + 8000;
      let down = await Promise.all([probeSnmp(v2c(byIndex)), probeSnmp(v3(byName), { env: env() })]);
      while (down.some((m) => m.status !== 'down') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        down = await Promise.all([probeSnmp(v2c(byIndex)), probeSnmp(v3(byName), { env: env() })]);
      }
      for (const m of down) expect(m).toMatchObject({ status: 'down', taxonomy: ['link_down'] });
    } finally {
      await tb.heal('primary');
    }
  }, 30_000);

  it('read BGP peer states (established → up, idle → down)', async () => {
    const [established, idle] = await Promise.all([
      probeSnmp(v2c({ type: 'bgpPeerState', peer: tb.links.primary.coreAddress })),
      probeSnmp(v2c({ type: 'bgpPeerState', peer: tb.links.backup.coreAddress })),
    ]);
    expect(established.status).toBe('up');
    expect(idle).toMatchObject({ status: 'down', taxonomy: ['bgp_down'] });
    expect(idle.detail).toMatch(/idle/);
  }, 30_000);
});
