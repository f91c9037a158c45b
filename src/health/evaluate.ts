import type { FailureTaxonomy, Measurement, RouteSignal } from '../probes/types';
import { scoreMetrics, statusFromScore, type HealthStatus, type Thresholds } from './score';

/** One input to a route's evaluation: a probe result or a pushed signal. */
export type HealthSource = { origin: 'probe'; measurement: Measurement } | { origin: 'signal'; signal: RouteSignal };

export interface Evaluation {
  status: HealthStatus;
  score: number;
  latencyMs?: number;
  lossPct?: number;
  jitterMs?: number;
  /** 0..1: the share of the sources that could tell which agree with `status`. */
  confidence: number;
  taxonomy: FailureTaxonomy[];
  sources: { kind: string; target?: string; status: HealthStatus; detail?: string }[];
}

const SEVERITY: Record<HealthStatus, number> = { unknown: 0, up: 1, degraded: 2, down: 3 };

function sourceView(s: HealthSource, th: Thresholds) {
  if (s.origin === 'signal') {
    const { signal } = s;
    return { kind: signal.source, status: signal.status, metrics: signal, taxonomy: signal.taxonomy ?? [], detail: signal.detail };
  }
  const m = s.measurement;
  // An ICMP burst that got replies is judged by its score; SNMP checks by their own verdict.
  const status: HealthStatus = m.status === 'up' && m.latencyMs !== undefined ? statusFromScore(scoreMetrics(m, th)) : m.status;
  return { kind: m.kind, target: m.target, status, metrics: m, taxonomy: m.taxonomy ?? [], detail: m.detail };
}

/**
 * Combines everything known about a route at one moment into a status, a score and a
 * confidence. The worst status any source reports wins (a link that SNMP says is down is
 * down even if pings still pass through a backup); when sources disagree the confidence
 * drops. ICMP metrics give the score; it is capped so it never contradicts the status.
 */
export function evaluateRoute(sources: HealthSource[], th: Thresholds): Evaluation {
  const views = sources.map((s) => sourceView(s, th));
  const known = views.filter((v) => v.status !== 'unknown');
  const status: HealthStatus = known.reduce<HealthStatus>((worst, v) => (SEVERITY[v.status] > SEVERITY[worst] ? v.status : worst), 'unknown');

  const measured = views.find((v) => v.metrics.latencyMs !== undefined || v.metrics.lossPct !== undefined);
  const metrics = measured ? { latencyMs: measured.metrics.latencyMs, lossPct: measured.metrics.lossPct, jitterMs: measured.metrics.jitterMs } : {};
  let score = measured ? scoreMetrics(metrics, th) : status === 'up' ? 100 : 0;
  if (status === 'down') score = Math.min(score, 49.9);
  else if (status === 'degraded') score = Math.min(score, 79.9);
  else if (status === 'unknown') score = 0;

  const taxonomy = new Set<FailureTaxonomy>(known.filter((v) => SEVERITY[v.status] > SEVERITY.up).flatMap((v) => v.taxonomy));
  if (metrics.latencyMs !== undefined && metrics.latencyMs > th.latencyMs) taxonomy.add('high_latency');
  if (metrics.lossPct !== undefined && metrics.lossPct > th.lossPct && metrics.lossPct < 100) taxonomy.add('high_loss');
  if (metrics.jitterMs !== undefined && metrics.jitterMs > th.jitterMs) taxonomy.add('high_jitter');

  return {
    status,
    score: Math.round(score * 10) / 10,
    ...metrics,
    confidence: views.length === 0 ? 0 : Math.round((known.filter((v) => v.status === status).length / views.length) * 100) / 100,
    taxonomy: [...taxonomy],
    sources: views.map((v) => ({ kind: v.kind, target: v.target, status: v.status, detail: v.detail })),
  };
}
