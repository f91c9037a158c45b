import type { MeasurementFields } from './measurement';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Figures of a burst of `sent` echo requests: `rtts` are the replies' round-trip times in the
 * order received (ms). No reply at all is `down` (`unreachable`), with the ICMP error a router
 * sent instead, if any; partial loss stays `up` because scoring the figures happens elsewhere.
 */
export function summarizeEchoes(rtts: number[], sent: number, icmpError?: string): MeasurementFields {
  if (rtts.length === 0) {
    const detail = `no reply to ${sent} echo requests${icmpError ? ` (${icmpError})` : ''}`;
    return { status: 'down', lossPct: 100, taxonomy: ['unreachable'], detail };
  }
  const sum = rtts.reduce((a, b) => a + b, 0);
  const fields: MeasurementFields = {
    status: 'up',
    latencyMs: round3(sum / rtts.length),
    latencyMinMs: round3(Math.min(...rtts)),
    latencyMaxMs: round3(Math.max(...rtts)),
    lossPct: round3(((sent - rtts.length) / sent) * 100),
  };
  if (rtts.length > 1) {
    let diffs = 0;
    for (let i = 1; i < rtts.length; i++) diffs += Math.abs(rtts[i]! - rtts[i - 1]!);
    fields.jitterMs = round3(diffs / (rtts.length - 1));
  }
  return fields;
}
