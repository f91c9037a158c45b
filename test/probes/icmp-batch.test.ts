import { probeIcmpBatch } from '../../src/probes/icmp-batch';
import { runProbe } from '../../src/probes';
import type { IcmpProbeSpec } from '../../src/probes/types';

const spec = (target: string, more: Partial<IcmpProbeSpec> = {}): IcmpProbeSpec => ({ kind: 'icmp-batch', target, count: 3, intervalMs: 100, timeoutMs: 500, ...more });
/** 127.0.x.y for n distinct loopback addresses. */
const loopbackTargets = (n: number): string[] => Array.from({ length: n }, (_, i) => `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);

describe('icmp-batch probe (fping)', () => {
  it('500 loopback targets in one call: all up, in order, in about one burst’s time', async () => {
    const targets = loopbackTargets(500);
    const started = Date.now();
    const results = await probeIcmpBatch(targets.map((t) => spec(t, { count: 5, intervalMs: 200, timeoutMs: 2000 })));
    const elapsed = Date.now() - started;
    expect(results.map((m) => m.target)).toEqual(targets);
    expect(results.every((m) => m.kind === 'icmp-batch' && m.status === 'up' && m.lossPct === 0)).toBe(true);
    expect(Math.max(...results.map((m) => m.latencyMaxMs!))).toBeLessThan(50);
    expect(results.every((m) => m.jitterMs !== undefined)).toBe(true);
    // 5 echoes 200 ms apart take 0.8 s; 500 separate pings (or serial runs) could not finish in 3 s.
    expect(elapsed).toBeGreaterThanOrEqual(780);
    expect(elapsed).toBeLessThan(3000);
  });

  it('an unroutable target among answering ones is down/unreachable; the others stay up', async () => {
    // 198.18.255.254 hits the global setup's catch-all unreachable route: fping cannot send, no reply.
    const results = await probeIcmpBatch([spec('127.0.0.1'), spec('198.18.255.254'), spec('::1'), spec('127.0.0.2')]);
    expect(results.map((m) => [m.target, m.status])).toEqual([
      ['127.0.0.1', 'up'],
      ['198.18.255.254', 'down'],
      ['::1', 'up'],
      ['127.0.0.2', 'up'],
    ]);
    expect(results[1]).toMatchObject({ lossPct: 100, taxonomy: ['unreachable'] });
    expect(results[1]!.detail).toMatch(/^no reply to 3 echo requests/);
  });

  it('targets that are no address or that fping refuses are unknown with the reason', async () => {
    const results = await probeIcmpBatch([spec('not..an.address'), spec('fe80::1%nonexist0'), spec('127.0.0.3')]);
    expect(results[0]).toMatchObject({ status: 'unknown', detail: 'not an IP address' });
    expect(results[1]).toMatchObject({ status: 'unknown', detail: 'fping refused the target: Name or service not known' });
    expect(results[2]).toMatchObject({ status: 'up' });
  });

  it('a target listed twice gets a result at each position; different timings run side by side', async () => {
    const specs = [spec('127.0.0.5'), spec('127.0.0.6', { count: 2, intervalMs: 50 }), spec('127.0.0.5'), spec('127.0.0.6'), { ...spec('127.0.0.7'), kind: 'icmp' as const }];
    const results = await probeIcmpBatch(specs);
    expect(results.map((m) => [m.kind, m.target, m.status])).toEqual([
      ['icmp-batch', '127.0.0.5', 'up'],
      ['icmp-batch', '127.0.0.6', 'up'],
      ['icmp-batch', '127.0.0.5', 'up'],
      ['icmp-batch', '127.0.0.6', 'up'],
      ['icmp', '127.0.0.7', 'up'],
    ]);
    expect(results[0]).toEqual(results[2]);
  });

  it('sends from each spec’s interface or source address; specs that differ only there go to separate fping runs', async () => {
    const results = await probeIcmpBatch([
      spec('127.0.0.8'),
      spec('127.0.0.8', { interface: 'nosuch0' }),
      spec('127.0.0.8', { source: '127.0.0.1' }),
      spec('127.0.0.8', { source: '198.18.255.9' }),
      spec('127.0.0.8', { interface: 'lo' }),
    ]);
    expect(results.map((m) => m.status)).toEqual(['up', 'unknown', 'up', 'unknown', 'up']);
    expect(results[1]!.detail).toBe('fping stopped before probing: binding to specific interface (SO_BINTODEVICE): No such device');
    expect(results[3]!.detail).toBe('fping exited with code 4: fping: cannot bind source address : Cannot assign requested address');
  });

  it('an empty batch resolves to no results', async () => {
    await expect(probeIcmpBatch([])).resolves.toEqual([]);
  });

  it('5,000 loopback targets finish within a few seconds (several fping runs, bounded concurrency)', async () => {
    const targets = loopbackTargets(5000);
    const started = Date.now();
    const results = await probeIcmpBatch(targets.map((t) => spec(t, { count: 5, intervalMs: 200, timeoutMs: 2000 })));
    const elapsed = Date.now() - started;
    expect(results.filter((m) => m.status === 'up')).toHaveLength(5000);
    expect(results.map((m) => m.target)).toEqual(targets);
    expect(elapsed).toBeLessThan(8000);
  });

  it('the single-spec probe of kind icmp-batch goes through the batch', async () => {
    const m = await runProbe(spec('::1'));
    expect(m).toMatchObject({ kind: 'icmp-batch', target: '::1', status: 'up', lossPct: 0 });
  });
});
