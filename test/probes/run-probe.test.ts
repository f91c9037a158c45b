import { probes, runProbe } from '../../src/probes';
import type { ProbeSpec } from '../../src/probes/types';

afterEach(() => jest.restoreAllMocks());

describe('runProbe', () => {
  it('picks the probe by kind and times the run', async () => {
    const m = await runProbe({ kind: 'icmp', target: '127.0.0.1', count: 3, intervalMs: 100, timeoutMs: 1000 });
    expect(m).toMatchObject({ kind: 'icmp', target: '127.0.0.1', status: 'up' });
    expect(m.at).toBeInstanceOf(Date);
    expect(m.durationMs).toBeGreaterThanOrEqual(190);
  });

  it('turns a probe that throws into an unknown measurement with the message', async () => {
    // A stand-in for a probe with a bug: the runner's contract is what is tested here.
    jest.spyOn(probes.snmp, 'probe').mockRejectedValue(new Error('boom'));
    const m = await runProbe({ kind: 'snmp', agent: '127.0.0.1', port: 9, version: '2c', community: 'public', timeoutMs: 300, check: { type: 'ifOperStatus', ifIndex: 1 } });
    expect(m).toMatchObject({ kind: 'snmp', target: '127.0.0.1', status: 'unknown', detail: 'probe failed: boom' });
    expect(m.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('a spec of a kind without a probe is unknown, not a throw', async () => {
    const m = await runProbe({ kind: 'http', target: '127.0.0.1' } as unknown as ProbeSpec);
    expect(m).toMatchObject({ kind: 'http', status: 'unknown', detail: 'no probe for kind "http"' });
  });

  it('has one probe per kind, each declaring its kind', () => {
    expect(Object.entries(probes).map(([kind, probe]) => [kind, probe.kind])).toEqual([
      ['icmp', 'icmp'],
      ['icmp-batch', 'icmp-batch'],
      ['snmp', 'snmp'],
    ]);
  });
});
