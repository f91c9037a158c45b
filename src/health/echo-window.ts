import type { Measurement } from '../probes/types';

interface Burst {
  sent: number;
  lossPct: number;
  latencyMs?: number;
  jitterMs?: number;
}

/**
 * Smooths ICMP figures over the last few bursts of one target, so that steady background
 * noise (some loss, some jitter) is judged on enough echoes rather than on one unlucky
 * burst. A burst with no reply at all is not smoothed: it is a failure at once.
 */
export class EchoWindow {
  private readonly bursts = new Map<string, Burst[]>();

  constructor(private readonly size = 5) {}

  smooth(m: Measurement, sent: number): Measurement {
    if (m.kind === 'snmp' || m.status !== 'up' || m.lossPct === undefined) return m;
    const history = [...(this.bursts.get(m.target) ?? []), { sent, lossPct: m.lossPct, latencyMs: m.latencyMs, jitterMs: m.jitterMs }].slice(-this.size);
    this.bursts.set(m.target, history);
    const total = history.reduce((n, b) => n + b.sent, 0);
    const lost = history.reduce((n, b) => n + (b.lossPct / 100) * b.sent, 0);
    const mean = (pick: (b: Burst) => number | undefined) => {
      const values = history.map(pick).filter((v): v is number => v !== undefined);
      return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
    };
    return { ...m, lossPct: (lost / total) * 100, latencyMs: mean((b) => b.latencyMs), jitterMs: mean((b) => b.jitterMs) };
  }

  forget(target: string): void {
    this.bursts.delete(target);
  }
}
