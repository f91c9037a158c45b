import { execFileSync } from 'node:child_process';
import { probeIcmp } from '../../src/probes/icmp';
import type { IcmpProbeSpec } from '../../src/probes/types';

const spec = (target: string, more: Partial<IcmpProbeSpec> = {}): IcmpProbeSpec => ({ kind: 'icmp', target, count: 3, intervalMs: 50, timeoutMs: 1000, ...more });

/** Whether the kernel has any route (a default one counts) to `address`. */
function hasRoute(address: string): boolean {
  try {
    execFileSync('ip', ['route', 'get', address], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('icmp probe (system ping)', () => {
  it.each(['127.0.0.1', '::1'])('%s answers: up, no loss, small latency, jitter from successive RTTs', async (target) => {
    const m = await probeIcmp(spec(target));
    expect(m).toMatchObject({ kind: 'icmp', target, status: 'up', lossPct: 0 });
    expect(m.latencyMs).toBeGreaterThan(0);
    expect(m.latencyMs).toBeLessThan(5);
    expect(m.latencyMinMs!).toBeLessThanOrEqual(m.latencyMs!);
    expect(m.latencyMaxMs!).toBeGreaterThanOrEqual(m.latencyMs!);
    expect(m.jitterMs).toBeGreaterThanOrEqual(0);
    expect(m.jitterMs!).toBeLessThanOrEqual(m.latencyMaxMs! - m.latencyMinMs! + 0.001);
    expect(m.taxonomy).toBeUndefined();
  });

  it('sends count echoes intervalMs apart (duration ≈ (count-1) × interval)', async () => {
    const m = await probeIcmp(spec('127.0.0.1', { count: 5, intervalMs: 100 }));
    expect(m.status).toBe('up');
    expect(m.durationMs).toBeGreaterThanOrEqual(390);
    expect(m.durationMs).toBeLessThan(1500);
  });

  it('accepts intervals below 200 ms (allowed to root)', async () => {
    const m = await probeIcmp(spec('127.0.0.1', { count: 10, intervalMs: 10 }));
    expect(m).toMatchObject({ status: 'up', lossPct: 0 });
    expect(m.durationMs).toBeLessThan(1000);
  });

  it('an address of 198.18.0.0/15 that no testbed serves: ping cannot send, so unknown (a local problem, not a verdict)', async () => {
    // The global setup's catch-all `unreachable 198.18.0.0/15` route keeps such echoes on this machine.
    expect(hasRoute('198.18.255.254')).toBe(false);
    const m = await probeIcmp(spec('198.18.255.254', { count: 2, timeoutMs: 300 }));
    expect(m).toMatchObject({ status: 'unknown' });
    expect(m.detail).toMatch(/no route to host|unreachable/i);
    expect(m.durationMs).toBeLessThan(3000);
  });

  describe('from an interface or a source address (a path probe)', () => {
    it('interface lo or source 127.0.0.1 to 127.0.0.1: up', async () => {
      for (const more of [{ interface: 'lo' }, { source: '127.0.0.1' }]) expect(await probeIcmp(spec('127.0.0.1', more))).toMatchObject({ status: 'up', lossPct: 0 });
    });

    it('an interface this host lacks, or an address it does not hold: unknown with ping’s reason (ping got the setting)', async () => {
      expect(await probeIcmp(spec('127.0.0.1', { interface: 'nosuch0' }))).toMatchObject({ status: 'unknown', detail: 'ping: SO_BINDTODEVICE nosuch0: No such device' });
      expect(await probeIcmp(spec('127.0.0.1', { source: '198.18.255.9' }))).toMatchObject({ status: 'unknown', detail: 'ping: bind: Cannot assign requested address' });
    });
  });

  it('a local error (an address ping cannot use) is unknown with ping’s message, never a throw', async () => {
    // The interface does not exist, so nothing is sent anywhere.
    const m = await probeIcmp(spec('fe80::1%nonexist0'));
    expect(m.status).toBe('unknown');
    expect(m.detail).toContain('Name or service not known');
    expect(m.lossPct).toBeUndefined();
  });
});
