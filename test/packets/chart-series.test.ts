import { Bucketer, chartWindow, MAX_POINTS, usableCache, windowClosed, type SeriesPoint } from '../../src/packets/chart-series';
import { niceStep, renderChartSvg } from '../../src/packets/svg-chart';

const H = 3_600_000;
const t0 = Date.parse('2026-11-22T00:00:00.000Z');

describe('chartWindow', () => {
  const now = new Date(t0 + 100 * H);

  it('spans detection - 30 min to resolution + 15 min in whole minutes, one-minute buckets while 600 of them suffice', () => {
    const w = chartWindow(new Date(t0 + 10 * H + 20_000), new Date(t0 + 11 * H), now);
    expect([w.from, w.to, w.bucketMs]).toEqual([t0 + 9.5 * H, t0 + 11.25 * H, 60_000]);
    const day = chartWindow(new Date(t0 + 10 * H), new Date(t0 + 33 * H), now);
    expect(day.bucketMs).toBe(3 * 60_000); // 23.75 h in 600 buckets: 2.4 min, rounded up to whole minutes
    expect(Math.ceil((day.to - day.from) / day.bucketMs)).toBeLessThanOrEqual(MAX_POINTS);
  });

  it('is capped at 48 h from its start, and at now for an open incident', () => {
    const long = chartWindow(new Date(t0), new Date(t0 + 90 * H), now);
    expect(long.to - long.from).toBe(48 * H);
    const open = chartWindow(new Date(now.getTime() - 10 * 60_000), undefined, now);
    expect(open.to).toBe(now.getTime());
    expect(windowClosed(open, now)).toBe(false);
    expect(windowClosed(long, now)).toBe(true);
  });
});

describe('Bucketer (downsampling)', () => {
  it('turns 24 h of per-minute stats into at most 600 points and keeps each bucket’s min, mean and max', () => {
    const w = chartWindow(new Date(t0 + 0.5 * H), new Date(t0 + 23.75 * H), new Date(t0 + 48 * H));
    const b = new Bucketer(w);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let t = t0; t < t0 + 24 * H; t += 60_000) {
      const v = 20 + 10 * Math.sin(t / 600_000);
      const s = { min: v - 1 - (t === t0 + 6 * H ? 25 : 0), max: v + 1 + (t === t0 + 12 * H ? 500 : 0), sum: v * 60, n: 60 };
      b.add(t, s);
      min = Math.min(min, s.min);
      max = Math.max(max, s.max);
      sum += s.sum;
    }
    const points = b.points();
    expect(points.length).toBeLessThanOrEqual(600);
    expect(points.length).toBeGreaterThan(470);
    expect(Math.max(...points.map((p) => p.max))).toBeCloseTo(max, 3);
    expect(Math.min(...points.map((p) => p.min))).toBeCloseTo(min, 3);
    expect(points.reduce((s, p) => s + p.n, 0)).toBe(86_400);
    const mean = points.reduce((s, p) => s + p.avg * p.n, 0) / 86_400;
    expect(mean).toBeCloseTo(sum / 86_400, 2);
    expect(points.every((p, i) => i === 0 || p.t > points[i - 1]!.t)).toBe(true);
  });

  it('ignores stats outside the window, without samples or with missing values, and leaves empty buckets out', () => {
    const w = { from: t0, to: t0 + 10 * 60_000, bucketMs: 2 * 60_000 };
    const b = new Bucketer(w);
    const one = { min: 5, max: 5, sum: 5, n: 1 };
    b.add(t0 - 60_000, one);
    b.add(t0 + 10 * 60_000, one);
    b.add(t0 + 4 * 60_000, { min: 2, max: 9, sum: 30, n: 6 });
    b.add(t0 + 5 * 60_000, { min: 3, max: 7, sum: 20, n: 4 });
    b.add(t0 + 6 * 60_000, { min: 1, max: 1, sum: 0, n: 0 });
    b.add(t0 + 7 * 60_000, { min: NaN, max: NaN, sum: NaN, n: 3 });
    expect(b.points()).toEqual([{ t: t0 + 4 * 60_000, min: 2, avg: 5, max: 9, n: 10 }]);
  });
});

describe('usableCache', () => {
  const w = { from: t0, to: t0 + H, bucketMs: 6000 };
  const series = { ...w, computedAt: t0 + H + 5 * 60_000, routes: [{ routeId: 'r1', latency: [], loss: [], score: [], samples: 0 }] };
  it('accepts series read after their window closed, for the same routes and window only', () => {
    expect(usableCache(series, ['r1'], w)).toBe(true);
    expect(usableCache({ ...series, computedAt: t0 + H }, ['r1'], w)).toBe(false);
    expect(usableCache(series, ['r2'], w)).toBe(false);
    expect(usableCache(series, ['r1'], { ...w, to: w.to + 1000 })).toBe(false);
    expect(usableCache(undefined, ['r1'], w)).toBe(false);
  });
});

describe('renderChartSvg', () => {
  const points: SeriesPoint[] = [0, 1, 2, 5, 6].map((i) => ({ t: t0 + i * 60_000, min: i, avg: i + 1, max: i + 2, n: 3 }));
  const svg = renderChartSvg(points, {
    from: t0,
    to: t0 + 10 * 60_000,
    bucketMs: 60_000,
    title: 'Latency <ms> & "x"',
    band: { from: t0 + 2 * 60_000, to: t0 + 4 * 60_000 },
    markers: [{ at: t0 + 3 * 60_000, label: 'failed over' }],
  });

  it('draws axes with UTC time labels, the incident band, the markers and a line per unbroken run of buckets', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('>00:00<');
    expect(svg).toContain('>00:04<');
    expect(svg).toContain('>UTC<');
    expect(svg).toContain('fill="#fbe3e3"');
    expect(svg).toContain('>failed over<');
    expect(svg.match(/<polyline/g)).toHaveLength(2); // the gap between minute 2 and 5 breaks the line
    expect(svg).not.toMatch(/<script|on\w+=/i);
  });

  it('escapes its texts', () => {
    expect(svg).toContain('Latency &#60;ms&#62; &#38; &#34;x&#34;');
    expect(svg).not.toContain('<ms>');
  });

  it('uses round axis steps', () => {
    expect([0.3, 7, 12, 26, 180].map(niceStep)).toEqual([0.5, 10, 20, 50, 200]);
  });
});
