import type { ProbeSpec } from '../directory/schema';
import type { FAILURE_TAXONOMY } from '../models/route-health-snapshot';

export type { ProbeSpec };
export type IcmpProbeSpec = Extract<ProbeSpec, { kind: 'icmp' | 'icmp-batch' }>;
export type SnmpProbeSpec = Extract<ProbeSpec, { kind: 'snmp' }>;
export type FailureTaxonomy = (typeof FAILURE_TAXONOMY)[number];

/**
 * What one probe run observed. Probes never throw: a timeout, an unreachable agent or a
 * local error is a measurement with status `unknown` (could not tell) or `down` (the
 * target answered "no", or nothing answered an echo), and a reason in `detail`.
 */
export interface Measurement {
  kind: ProbeSpec['kind'];
  /** The probed address (ICMP target or SNMP agent). */
  target: string;
  /** When the probe started. */
  at: Date;
  /** up: the check passed; down: it failed; unknown: no usable answer (agent timeout, local error). */
  status: 'up' | 'down' | 'unknown';
  /** ICMP: round-trip times of the replies received. */
  latencyMs?: number;
  latencyMinMs?: number;
  latencyMaxMs?: number;
  lossPct?: number;
  /** Mean absolute difference of successive RTTs (RFC 3550-style, without smoothing). */
  jitterMs?: number;
  /** Why the probe says down or unknown (e.g. "ifOperStatus=2 (down)", "request timed out"). */
  detail?: string;
  taxonomy?: FailureTaxonomy[];
  durationMs: number;
}

/** Options every probe takes from the runner. */
export interface ProbeOptions {
  /** SNMPv3 keys and other secrets are read from the environment by name. */
  env?: NodeJS.ProcessEnv;
}

/** The one contract of a probe kind. */
export interface Probe<S extends ProbeSpec = ProbeSpec> {
  kind: S['kind'];
  probe(spec: S, opts?: ProbeOptions): Promise<Measurement>;
}

/**
 * A pushed signal (SNMP trap, POST /api/v1/signals) about a route; it enters the same path
 * as probe results.
 */
export interface RouteSignal {
  routeId: string;
  at: Date;
  source: 'snmp-trap' | 'api';
  /** down: link down / peer down etc.; up: recovered. */
  status: 'up' | 'down' | 'degraded' | 'unknown';
  detail?: string;
  taxonomy?: FailureTaxonomy[];
  /** Optional metrics from an external monitor. */
  latencyMs?: number;
  lossPct?: number;
  jitterMs?: number;
}
