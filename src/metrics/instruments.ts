import { Counter, Histogram } from 'prom-client';
import { SEVERITIES } from '../models/shared';
import type { Measurement } from '../probes/types';
import { registry } from './registry';

/*
 * StateTrace's counters and histograms, counted where the thing happens (so in whichever
 * process runs it: sweeper, worker, or all of them under `statetrace start`). Every label
 * has a small fixed set of values, and every combination starts at zero so rate() and the
 * dashboard see each series from the first scrape.
 */

const PROBE_KINDS = ['icmp', 'icmp-batch', 'snmp'] as const satisfies readonly Measurement['kind'][];
const PROBE_RESULTS = ['up', 'down', 'unknown'] as const satisfies readonly Measurement['status'][];
/** A destination whose channel is not configured in this worker counts as `unconfigured`. */
export const NOTIFICATION_CHANNELS = ['console', 'slack', 'discord', 'webhook', 'unconfigured'] as const;
const NOTIFICATION_RESULTS = ['sent', 'failed'] as const;
const FAILOVER_DIRECTIONS = ['failover', 'failback'] as const;
const FAILOVER_OUTCOMES = ['succeeded', 'failed'] as const;
export const TRAP_RESULTS = ['mapped', 'ignored', 'rate_limited'] as const;

export const incidentsOpened = new Counter({
  name: 'statetrace_incidents_opened_total',
  help: 'Incidents opened, by severity at opening.',
  labelNames: ['severity'] as const,
  registers: [registry],
});

export const failovers = new Counter({
  name: 'statetrace_failovers_total',
  help: 'Failover executor runs (fail-over and failback), by outcome; duplicate calls of a run are not counted.',
  labelNames: ['direction', 'outcome'] as const,
  registers: [registry],
});

export const notifications = new Counter({
  name: 'statetrace_notifications_total',
  help: 'Notification deliveries attempted, one per destination and attempt, by channel and result.',
  labelNames: ['channel', 'result'] as const,
  registers: [registry],
});

export const traps = new Counter({
  name: 'statetrace_traps_total',
  help: 'Datagrams at the SNMP trap receiver, by result: mapped to routes, ignored (undecodable, not accepted, not a link trap, no route), or dropped by the per-source rate limit before decoding.',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const probes = new Counter({
  name: 'statetrace_probes_total',
  help: 'Sweeper probe results, by probe kind and result.',
  labelNames: ['kind', 'result'] as const,
  registers: [registry],
});

export const probeDuration = new Histogram({
  name: 'statetrace_probe_duration_seconds',
  help: 'How long sweeper probes took, by probe kind.',
  labelNames: ['kind'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const detectionLatency = new Histogram({
  name: 'statetrace_detection_latency_seconds',
  help: "From a down streak's first failed observation to the route's down transition (debounce and grace).",
  buckets: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
  registers: [registry],
});

export const timeToAcknowledge = new Histogram({
  name: 'statetrace_time_to_acknowledge_seconds',
  help: 'From detection to the first acknowledgement of an incident.',
  buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400],
  registers: [registry],
});

export const timeToResolve = new Histogram({
  name: 'statetrace_time_to_resolve_seconds',
  help: 'From detection to resolution of an incident, by severity.',
  labelNames: ['severity'] as const,
  buckets: [60, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 86_400],
  registers: [registry],
});

/** Counts one probe result and its duration. */
export function recordProbe(m: Pick<Measurement, 'kind' | 'status' | 'durationMs'>): void {
  probes.inc({ kind: m.kind, result: m.status });
  probeDuration.observe({ kind: m.kind }, m.durationMs / 1000);
}

for (const severity of SEVERITIES) {
  incidentsOpened.inc({ severity }, 0);
  timeToResolve.zero({ severity });
}
for (const direction of FAILOVER_DIRECTIONS) for (const outcome of FAILOVER_OUTCOMES) failovers.inc({ direction, outcome }, 0);
for (const channel of NOTIFICATION_CHANNELS) for (const result of NOTIFICATION_RESULTS) notifications.inc({ channel, result }, 0);
for (const result of TRAP_RESULTS) traps.inc({ result }, 0);
for (const kind of PROBE_KINDS) {
  probeDuration.zero({ kind });
  for (const result of PROBE_RESULTS) probes.inc({ kind, result }, 0);
}
