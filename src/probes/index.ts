import { icmpProbe } from './icmp';
import { icmpBatchProbe } from './icmp-batch';
import { errorMessage, startMeasurement } from './measurement';
import { snmpProbe } from './snmp';
import type { IcmpProbeSpec, Measurement, Probe, ProbeOptions, ProbeSpec, SnmpProbeSpec } from './types';

export { probeIcmpBatch } from './icmp-batch';
export type { IcmpProbeSpec, Measurement, Probe, ProbeOptions, ProbeSpec, RouteSignal, SnmpProbeSpec } from './types';

/** Every probe kind, by the `kind` of its spec. */
export const probes: { icmp: Probe<IcmpProbeSpec>; 'icmp-batch': Probe<IcmpProbeSpec>; snmp: Probe<SnmpProbeSpec> } = {
  icmp: icmpProbe,
  'icmp-batch': icmpBatchProbe,
  snmp: snmpProbe,
};

/**
 * Runs the probe for `spec.kind` and times it. Whatever goes wrong becomes a measurement
 * with status `unknown` and the reason: one broken probe must never stop a sweep.
 */
export async function runProbe(spec: ProbeSpec, opts: ProbeOptions = {}): Promise<Measurement> {
  const target = spec.kind === 'snmp' ? spec.agent : spec.target;
  const finish = startMeasurement(spec.kind, target);
  // Each entry takes the spec of its own kind; the lookup by the same `kind` guarantees that.
  const probe = (probes as Record<string, Probe | undefined>)[spec.kind];
  if (!probe) return finish({ status: 'unknown', detail: `no probe for kind "${String(spec.kind)}"` });
  try {
    const measurement = await probe.probe(spec, opts);
    return { ...measurement, durationMs: finish(measurement).durationMs };
  } catch (err) {
    return finish({ status: 'unknown', detail: `probe failed: ${errorMessage(err)}` });
  }
}
