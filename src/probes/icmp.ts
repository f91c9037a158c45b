import { isIPv6 } from 'node:net';
import { promise as ping } from 'ping';
import { summarizeEchoes } from './echo-stats';
import { errorMessage, startMeasurement } from './measurement';
import type { IcmpProbeSpec, Measurement, Probe } from './types';

/**
 * One burst of `count` echo requests `intervalMs` apart with the system ping (iputils). As
 * root, intervals below 200 ms are allowed; as another user ping refuses them, which comes
 * back as `unknown` with ping's message. `interface` or `source` makes ping send from that
 * interface or address only (README, "Measuring a path").
 */
export async function probeIcmp(spec: IcmpProbeSpec): Promise<Measurement> {
  const finish = startMeasurement(spec.kind, spec.target);
  // iputils takes either an interface name (SO_BINDTODEVICE) or a local address after -I.
  const boundTo = spec.interface ?? spec.source;
  try {
    const reply = await ping.probe(spec.target, {
      min_reply: spec.count,
      timeout: spec.timeoutMs / 1000,
      v6: isIPv6(spec.target),
      extra: ['-i', String(spec.intervalMs / 1000), ...(boundTo === undefined ? [] : ['-I', boundTo])],
    });
    // No statistics footer (packetLoss "unknown"; typed as a number by the package, a string
    // at run time): ping stopped before sending (unknown host, no route, local link down,
    // refused option) and its first message says why.
    if (Number.isNaN(Number(reply.packetLoss))) {
      const message = firstMessage(reply.output) ?? 'ping gave no statistics';
      // Bound to an interface or address, "Network is unreachable" is the path's own answer (the
      // interface is down, or no route leaves from that address), so the path is down; unbound,
      // it is this host's routing table, which says nothing about the target.
      if (boundTo !== undefined && /Network is unreachable/.test(message)) {
        return finish({ status: 'down', lossPct: 100, taxonomy: ['unreachable'], detail: `cannot send from ${boundTo} (${message})` });
      }
      return finish({ status: 'unknown', detail: message });
    }
    return finish(summarizeEchoes(replyTimes(reply.output), spec.count, icmpError(reply.output)));
  } catch (err) {
    return finish({ status: 'unknown', detail: `ping could not run: ${errorMessage(err)}` });
  }
}

/**
 * RTTs of the replies (`64 bytes from ::1: icmp_seq=1 ttl=64 time=0.045 ms`), in order.
 * Duplicates are left out: they answer a request that already counted.
 */
function replyTimes(output: string): number[] {
  return output
    .split('\n')
    .filter((l) => !l.includes('(DUP!)'))
    .map((l) => / bytes from .* time=(\d+(?:\.\d+)?) ms/.exec(l)?.[1])
    .filter((t): t is string => t !== undefined)
    .map(Number);
}

/** The first line that is neither ping's banner nor a reply nor statistics. */
function firstMessage(output: string): string | undefined {
  return output
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('PING ') && !/ bytes from /.test(l) && !l.startsWith('---'));
}

/** An ICMP error a router sent instead of a reply ("From 198.18.0.1 icmp_seq=1 Destination Host Unreachable"). */
function icmpError(output: string): string | undefined {
  return output
    .split('\n')
    .find((l) => l.startsWith('From '))
    ?.trim();
}

export const icmpProbe: Probe<IcmpProbeSpec> = { kind: 'icmp', probe: probeIcmp };
