/** Per route class: above these, the score starts losing points. */
export interface Thresholds {
  latencyMs: number;
  lossPct: number;
  jitterMs: number;
}

export type HealthStatus = 'up' | 'degraded' | 'down' | 'unknown';

/**
 * DESIGN.md's health score, exactly:
 *   100 − (latency/Lth)·30 if latency > Lth − (loss/Pth)·40 if loss > Pth − (jitter/Jth)·30 if jitter > Jth, floored at 0.
 * A metric that was not measured deducts nothing.
 */
export function scoreMetrics(m: { latencyMs?: number; lossPct?: number; jitterMs?: number }, th: Thresholds): number {
  let score = 100;
  if (m.latencyMs !== undefined && m.latencyMs > th.latencyMs) score -= (m.latencyMs / th.latencyMs) * 30;
  if (m.lossPct !== undefined && m.lossPct > th.lossPct) score -= (m.lossPct / th.lossPct) * 40;
  if (m.jitterMs !== undefined && m.jitterMs > th.jitterMs) score -= (m.jitterMs / th.jitterMs) * 30;
  return Math.max(0, score);
}

/** up ≥ 80 > degraded ≥ 50 > down */
export function statusFromScore(score: number): 'up' | 'degraded' | 'down' {
  if (score >= 80) return 'up';
  if (score >= 50) return 'degraded';
  return 'down';
}
