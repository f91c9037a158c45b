import { evaluateRoute, type HealthSource } from '../../src/health/evaluate';
import { scoreMetrics, statusFromScore } from '../../src/health/score';
import type { Measurement } from '../../src/probes/types';

const th = { latencyMs: 50, lossPct: 2, jitterMs: 10 };

describe('scoreMetrics (DESIGN.md formula)', () => {
  it.each([
    [{ latencyMs: 10, lossPct: 0, jitterMs: 1 }, 100],
    [{ latencyMs: 50, lossPct: 2, jitterMs: 10 }, 100], // at the threshold: no deduction
    [{ latencyMs: 100, lossPct: 0, jitterMs: 0 }, 40], // 100 − (100/50)·30
    [{ latencyMs: 10, lossPct: 3, jitterMs: 0 }, 40], // 100 − (3/2)·40
    [{ latencyMs: 10, lossPct: 0, jitterMs: 15 }, 55], // 100 − (15/10)·30
    [{ latencyMs: 60, lossPct: 2.5, jitterMs: 5 }, 14], // 100 − 36 − 50
    [{ latencyMs: 60, lossPct: 2.5, jitterMs: 12 }, 0], // would be −22: floored
    [{ latencyMs: 10, lossPct: 100 }, 0],
    [{}, 100],
  ])('%j → %d', (metrics, expected) => {
    expect(scoreMetrics(metrics, th)).toBeCloseTo(expected, 6);
  });

  it('maps scores to statuses at 80 and 50', () => {
    expect([100, 80, 79.9, 50, 49.9, 0].map(statusFromScore)).toEqual(['up', 'up', 'degraded', 'degraded', 'down', 'down']);
  });
});

const icmp = (m: Partial<Measurement>): HealthSource => ({
  origin: 'probe',
  measurement: { kind: 'icmp', target: '198.18.8.1', at: new Date(0), status: 'up', durationMs: 1, ...m },
});
const snmp = (status: Measurement['status'], detail?: string): HealthSource => ({
  origin: 'probe',
  measurement: { kind: 'snmp', target: '198.18.0.2', at: new Date(0), status, detail, taxonomy: status === 'down' ? ['link_down'] : [], durationMs: 1 },
});

describe('evaluateRoute', () => {
  it('scores a healthy burst as up with full confidence', () => {
    const e = evaluateRoute([icmp({ latencyMs: 5, lossPct: 0, jitterMs: 1 })], th);
    expect(e).toMatchObject({ status: 'up', score: 100, confidence: 1, taxonomy: [] });
  });

  it('names the breached thresholds', () => {
    const e = evaluateRoute([icmp({ latencyMs: 80, lossPct: 0, jitterMs: 12 })], th);
    expect(e.status).toBe('down'); // 100 − 48 − 36 = 16
    expect(e.score).toBeCloseTo(16, 1);
    expect(e.taxonomy.sort()).toEqual(['high_jitter', 'high_latency']);
  });

  it('treats total loss as unreachable, score 0', () => {
    const e = evaluateRoute([icmp({ status: 'down', lossPct: 100, taxonomy: ['unreachable'] })], th);
    expect(e).toMatchObject({ status: 'down', score: 0, taxonomy: ['unreachable'] });
  });

  it('lets a failing SNMP link state win over passing pings, with lower confidence', () => {
    const e = evaluateRoute([icmp({ latencyMs: 5, lossPct: 0, jitterMs: 1 }), snmp('down', 'ifOperStatus=2 (down)')], th);
    expect(e.status).toBe('down');
    expect(e.score).toBeLessThan(50);
    expect(e.confidence).toBe(0.5);
    expect(e.taxonomy).toEqual(['link_down']);
  });

  it('is confident when signals agree, less so when one cannot tell', () => {
    expect(evaluateRoute([icmp({ status: 'down', lossPct: 100 }), snmp('down')], th).confidence).toBe(1);
    expect(evaluateRoute([icmp({ latencyMs: 5, lossPct: 0 }), snmp('unknown', 'request timed out')], th)).toMatchObject({ status: 'up', confidence: 0.5 });
  });

  it('is unknown with zero confidence when nothing could be measured', () => {
    expect(evaluateRoute([snmp('unknown', 'timeout')], th)).toMatchObject({ status: 'unknown', score: 0, confidence: 0 });
    expect(evaluateRoute([], th)).toMatchObject({ status: 'unknown', confidence: 0 });
  });

  it('takes pushed signals on the same path', () => {
    const e = evaluateRoute([{ origin: 'signal', signal: { routeId: 'r1', at: new Date(0), source: 'api', status: 'degraded', lossPct: 3 } }], th);
    expect(e).toMatchObject({ status: 'degraded', lossPct: 3 });
    expect(e.score).toBeLessThan(80);
  });
});
