import { isIP } from 'node:net';
import { summarizeEchoes } from './echo-stats';
import { runFping, type FpingBinding, type FpingReport, type FpingTiming } from './fping';
import { startMeasurement, type MeasurementFields } from './measurement';
import type { IcmpProbeSpec, Measurement, Probe } from './types';

/** Most hosts one fping process gets; more go to further processes. */
const MAX_HOSTS_PER_RUN = 1000;
/**
 * fping numbers its echo requests with 16 bits and exits (code 4) when a number is reused
 * within 10 s, so one run sends at most this many requests (hosts × count).
 */
const MAX_REQUESTS_PER_RUN = 60_000;
/** fping processes running at once. */
const CONCURRENT_RUNS = 4;

interface Run {
  timing: FpingTiming;
  binding: FpingBinding;
  hosts: string[];
  /** Where each host's result goes in the output (a target may be listed several times). */
  indexesOf: Map<string, number[]>;
}

/**
 * Pings many targets with few fping processes: specs with the same count, interval, timeout,
 * interface and source share runs of up to MAX_HOSTS_PER_RUN distinct hosts; runs go
 * CONCURRENT_RUNS at a time. Results come back in the order of `specs`; a target listed twice
 * (with the same settings) is pinged once and reported for both. Targets that are not IP
 * addresses never reach fping (it would resolve names through DNS) and are `unknown`.
 */
export async function probeIcmpBatch(specs: IcmpProbeSpec[]): Promise<Measurement[]> {
  const results = new Array<Measurement | undefined>(specs.length);
  const groups = new Map<string, { timing: FpingTiming; binding: FpingBinding; indexesOf: Map<string, number[]> }>();
  specs.forEach((spec, index) => {
    if (isIP(spec.target) === 0) {
      results[index] = startMeasurement(spec.kind, spec.target)({ status: 'unknown', detail: 'not an IP address' });
      return;
    }
    const key = `${spec.count}/${spec.intervalMs}/${spec.timeoutMs}/${spec.interface ?? ''}/${spec.source ?? ''}`;
    const group = groups.get(key) ?? {
      timing: { count: spec.count, intervalMs: spec.intervalMs, timeoutMs: spec.timeoutMs },
      binding: { interface: spec.interface, source: spec.source },
      indexesOf: new Map<string, number[]>(),
    };
    groups.set(key, group);
    const indexes = group.indexesOf.get(spec.target);
    if (indexes) indexes.push(index);
    else group.indexesOf.set(spec.target, [index]);
  });

  const runs: Run[] = [];
  for (const { timing, binding, indexesOf } of groups.values()) {
    const hosts = [...indexesOf.keys()];
    const perRun = Math.max(1, Math.min(MAX_HOSTS_PER_RUN, Math.floor(MAX_REQUESTS_PER_RUN / timing.count)));
    for (let i = 0; i < hosts.length; i += perRun) runs.push({ timing, binding, hosts: hosts.slice(i, i + perRun), indexesOf });
  }

  await forEachConcurrently(runs, CONCURRENT_RUNS, async ({ timing, binding, hosts, indexesOf }) => {
    const finishers = hosts.map((host) => startMeasurement('icmp-batch', host));
    const report = await runFping(hosts, timing, binding);
    hosts.forEach((host, h) => {
      const measurement = finishers[h]!(hostFields(host, report, timing.count));
      // Specs of kind `icmp` may be batched too; each result keeps its spec's kind.
      for (const index of indexesOf.get(host)!) results[index] = { ...measurement, kind: specs[index]!.kind };
    });
  });
  return results as Measurement[];
}

function hostFields(host: string, report: FpingReport, count: number): MeasurementFields {
  const rejected = report.rejected.get(host);
  if (rejected !== undefined) return { status: 'unknown', detail: `fping refused the target: ${rejected}` };
  const rtts = report.rtts.get(host);
  if (rtts === undefined) return { status: 'unknown', detail: report.failure ?? 'fping reported nothing for this target' };
  const replies = rtts.filter((r): r is number => r !== null);
  return summarizeEchoes(replies, count, report.icmpErrors.get(host));
}

async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export const icmpBatchProbe: Probe<IcmpProbeSpec> = {
  kind: 'icmp-batch',
  probe: async (spec) => (await probeIcmpBatch([spec]))[0]!,
};
