import { Bucketer, usableCache, type SeriesPoint } from '../../src/packets/chart-series';
import { chartWindow, MAX_POINTS, seriesSettleMs, windowClosed, type ChartWindow } from '../../src/packets/chart-window';
import { niceStep, renderChartSvg } from '../../src/packets/svg-chart';

const H = 3_600_000;
const MIN = 60_000;
const t0 = Date.parse('2026-11-22T00:00:00.000Z');
const bucketCount = (w: ChartWindow) =>
  w.raw
    ? Math.ceil((w.raw.from - w.from) / w.bucketMs) + Math.ceil((w.to - w.raw.to) / w.bucketMs) + Math.ceil((w.raw.to - w.raw.from) / w.raw.bucketMs)
    : Math.ceil((w.to - w.from) / w.bucketMs);

describe('chartWindow', () => {
  const now = new Date(t0 + 100 * H);

  it('pads the incident by its duration on both sides, in whole minutes, one-minute buckets while 600 of them suffice', () => {
    const w = chartWindow(new Date(t0 + 10 * H + 20_000), new Date(t0 + 11 * H), now);
    // 59 min 40 s before detection (floored to the minute) to 59 min 40 s after resolution (ceiled).
    expect(w).toEqual({ from: t0 + 9 * H, to: t0 + 12 * H, bucketMs: MIN });
  });

  it('pads a short incident by 5 min and a long one by less than its duration, so the window stays within 48 h and 600 buckets', () => {
    const short = chartWindow(new Date(t0 + 10 * H + 30_000), new Date(t0 + 10 * H + 53_000), now);
    expect([short.from, short.to]).toEqual([t0 + 10 * H - 5 * MIN, t0 + 10 * H + 6 * MIN]);
    const day = chartWindow(new Date(t0 + 10 * H), new Date(t0 + 33 * H), now);
    expect([day.from, day.to]).toEqual([t0 - 2.5 * H, t0 + 45.5 * H]); // 23 h + 2 × 12.5 h
    expect(day.bucketMs).toBe(5 * MIN); // 48 h in 600 buckets: 4.8 min, rounded up to whole minutes
    expect(bucketCount(day)).toBeLessThanOrEqual(MAX_POINTS);
  });

  it('shows an incident longer than 48 h from 5 min before detection, and ends at now for an open incident', () => {
    const long = chartWindow(new Date(t0), new Date(t0 + 90 * H), now);
    expect([long.from, long.to - long.from]).toEqual([t0 - 5 * MIN, 48 * H]);
    expect(windowClosed(long, now)).toBe(true);
    const open = chartWindow(new Date(now.getTime() - 30 * MIN), undefined, now);
    expect([open.from, open.to]).toEqual([now.getTime() - 60 * MIN, now.getTime()]);
    expect(windowClosed(open, now)).toBe(false);
  });

  it('reads what the series may not hold yet from the recent samples, in sub-minute buckets while the window is short', () => {
    const open = chartWindow(new Date(now.getTime() - 30 * MIN), undefined, now);
    // The last settle time (a 30 s flush + 90 s), from its minute; 60 min in 600 buckets: 6 s, so 10 s.
    expect(open.raw).toEqual({ from: now.getTime() - 2 * MIN, to: now.getTime(), bucketMs: 10_000 });
    expect(seriesSettleMs(300_000)).toBe(390_000);
    const slowFlush = chartWindow(new Date(now.getTime() - 30 * MIN), undefined, now, seriesSettleMs(300_000));
    expect(slowFlush.raw!.from).toBe(now.getTime() - 7 * MIN);
  });

  it('charts a short incident from its raw samples, and its detail goes once the samples are older than 15 min', () => {
    const detected = t0 + 10 * H + 30_000;
    const resolved = detected + 23_000;
    // At resolution: the incident and the unsettled tail, one raw span to now.
    const atResolution = chartWindow(new Date(detected), new Date(resolved), new Date(resolved + 5_000));
    expect(atResolution.raw).toEqual({ from: t0 + 10 * H - 2 * MIN, to: t0 + 10 * H + MIN, bucketMs: 5_000 });
    // 8 min later the window has closed (resolution + 5 min + settle): only the incident's minute is raw.
    const later = chartWindow(new Date(detected), new Date(resolved), new Date(resolved + 8 * MIN));
    expect(later.raw).toEqual({ from: t0 + 10 * H, to: t0 + 10 * H + MIN, bucketMs: 5_000 });
    expect(windowClosed(later, new Date(resolved + 8 * MIN))).toBe(true);
    // After the recent samples are gone: minutes only.
    const day = chartWindow(new Date(detected), new Date(resolved), new Date(resolved + 20 * MIN));
    expect(day.raw).toBeUndefined();
    expect([day.from, day.to, day.bucketMs]).toEqual([later.from, later.to, MIN]);
  });

  it('keeps a window with a raw tail within 600 buckets: over 5 h, the tail in the window’s own buckets', () => {
    const days = chartWindow(new Date(now.getTime() - 30 * H), undefined, now);
    expect(days.bucketMs).toBe(4 * MIN); // 39 h in 600 buckets: 3.9 min
    expect(days.raw).toEqual({ from: now.getTime() - 4 * MIN, to: now.getTime(), bucketMs: 4 * MIN });
    expect(bucketCount(days)).toBeLessThanOrEqual(MAX_POINTS);
    const hours = chartWindow(new Date(now.getTime() - 2 * H), undefined, now);
    expect(hours.raw).toEqual({ from: now.getTime() - 2 * MIN, to: now.getTime(), bucketMs: 30_000 }); // 4 h in 600: 24 s
    expect(bucketCount(hours)).toBeLessThanOrEqual(MAX_POINTS);
  });
});

describe('Bucketer (downsampling)', () => {
  it('turns 24 h of per-minute stats into at most 600 points and keeps each bucket’s min, mean and max', () => {
    const w = { from: t0, to: t0 + 24 * H, bucketMs: 3 * MIN };
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

  it('puts what falls in the raw part into its own buckets, in time order with the minutes around it', () => {
    const w = { from: t0, to: t0 + 6 * MIN, bucketMs: MIN, raw: { from: t0 + 2 * MIN, to: t0 + 4 * MIN, bucketMs: 5_000 } };
    const b = new Bucketer(w);
    const v = (x: number) => ({ min: x, max: x, sum: x, n: 1 });
    b.add(t0 + 5 * MIN, { min: 1, max: 3, sum: 120, n: 60 });
    b.add(t0 + 2 * MIN + 7_000, v(40));
    b.add(t0 + 2 * MIN + 9_000, v(60));
    b.add(t0 + 3 * MIN + 59_000, v(0));
    b.add(t0, { min: 5, max: 5, sum: 300, n: 60 });
    expect(b.points()).toEqual([
      { t: t0, min: 5, avg: 5, max: 5, n: 60 },
      { t: t0 + 2 * MIN + 5_000, min: 40, avg: 50, max: 60, n: 2 },
      { t: t0 + 3 * MIN + 55_000, min: 0, avg: 0, max: 0, n: 1 },
      { t: t0 + 5 * MIN, min: 1, avg: 2, max: 3, n: 60 },
    ]);
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

  it('keeps series read while the recent samples covered a raw part, once the window has closed', () => {
    const withRaw = { ...series, raw: { from: t0 + 10 * MIN, to: t0 + 11 * MIN, bucketMs: 5_000 } };
    expect(usableCache(withRaw, ['r1'], w)).toBe(true);
    expect(usableCache(withRaw, ['r1'], w, seriesSettleMs(300_000))).toBe(false); // 5 min after `to` is before a 300 s flush has settled
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

  it('places raw-part points by their own bucket size and breaks their line only at a real gap', () => {
    const raw = { from: t0 + 2 * MIN, to: t0 + 4 * MIN, bucketMs: 5_000 };
    // Minutes around it; inside, a route probed every 10 s (every other 5 s bucket) with none from 2:40 to 3:00.
    const at = [0, 60, 240, 300].map((s) => t0 + s * 1000).concat(Array.from({ length: 4 }, (_, i) => raw.from + i * 10_000), Array.from({ length: 5 }, (_, i) => raw.from + 70_000 + i * 10_000));
    const pts: SeriesPoint[] = at.sort((a, b) => a - b).map((t) => ({ t, min: 1, avg: 1, max: 1, n: 1 }));
    const svg = renderChartSvg(pts, { from: t0, to: t0 + 6 * MIN, bucketMs: MIN, raw, title: 'Score' });
    expect(svg.match(/<polyline/g)).toHaveLength(2); // broken once, at the 40 s gap; joined to the minutes on both sides
    // 644 px for 6 min: the first raw point (2:00–2:05) is drawn at 2:02.5, the minute before it (1:00–2:00) at 1:30.
    const xs = [...svg.matchAll(/<polyline points="([^"]+)"/g)].flatMap((m) => m[1]!.split(' ').map((p) => Number(p.split(',')[0])));
    expect(xs).toContain(Math.round((44 + (122.5 / 360) * 644) * 10) / 10);
    expect(xs).toContain(Math.round((44 + (90 / 360) * 644) * 10) / 10);
  });

  it('uses round axis steps', () => {
    expect([0.3, 7, 12, 26, 180].map(niceStep)).toEqual([0.5, 10, 20, 50, 200]);
  });
});
