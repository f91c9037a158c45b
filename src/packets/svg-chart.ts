import type { SeriesPoint } from './chart-series';
import { bucketSizeAt, type ChartSpan } from './chart-window';
import { escapeXml, utcTime } from './format';

/**
 * A static SVG line chart (no script): the mean of each bucket as a line, its min-max range
 * as a light band, a shaded band for the incident, labelled markers (acknowledged, failed
 * over, …) and time labels in UTC. Every text in it is XML-escaped.
 */

export interface ChartOptions {
  from: number;
  to: number;
  bucketMs: number;
  /** The part with buckets of its own (read from the raw snapshots). */
  raw?: ChartSpan;
  /** Axis title, e.g. `Latency (ms)`. */
  title: string;
  /** A fixed top of the y axis (score: 100); otherwise from the data. */
  yMax?: number;
  /** The incident, shaded. */
  band?: { from: number; to: number };
  markers?: { at: number; label: string }[];
  width?: number;
  height?: number;
}

const MARGIN = { left: 44, right: 12, top: 22, bottom: 24 };
const X_STEPS = [60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];
const r1 = (x: number) => Math.round(x * 10) / 10;

/** A round step (1, 2, 2.5 or 5 × 10^k) at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= raw - 1e-12) ?? 10) * p;
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

/**
 * The expected distance between neighbouring points at a time: the bucket size, and in the raw
 * part at least the usual distance between its points (a route probed every 30 s fills one
 * 5 s bucket in six and still gets a line; a gap of a few of its probes still breaks it).
 */
function pointSpacing(points: readonly SeriesPoint[], opts: ChartOptions): (t: number) => number {
  const { raw } = opts;
  if (!raw) return () => opts.bucketMs;
  const inRaw = points.filter((p) => p.t >= raw.from && p.t < raw.to);
  const gaps = inRaw.slice(1).map((p, i) => p.t - inRaw[i]!.t).sort((a, b) => a - b);
  const rawStep = Math.max(raw.bucketMs, gaps[Math.floor(gaps.length / 2)] ?? 0);
  return (t) => (t >= raw.from && t < raw.to ? rawStep : opts.bucketMs);
}

export function renderChartSvg(points: readonly SeriesPoint[], opts: ChartOptions): string {
  const width = opts.width ?? 700;
  const height = opts.height ?? 170;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const span = Math.max(1, opts.to - opts.from);
  const x = (t: number) => r1(MARGIN.left + ((Math.min(Math.max(t, opts.from), opts.to) - opts.from) / span) * plotW);
  const dataMax = points.reduce((m, p) => Math.max(m, p.max), 0);
  const yStep = opts.yMax !== undefined ? opts.yMax / 4 : niceStep(Math.max(dataMax, 1) / 4);
  const yMax = opts.yMax ?? yStep * Math.max(1, Math.ceil(dataMax / yStep));
  const y = (v: number) => r1(MARGIN.top + plotH - (Math.min(Math.max(v, 0), yMax) / yMax) * plotH);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeXml(opts.title)}" font-family="Helvetica, Arial, sans-serif" font-size="9">`,
    `<text x="${MARGIN.left}" y="12" font-size="10" font-weight="bold" fill="#222">${escapeXml(opts.title)}</text>`,
  ];

  if (opts.band && opts.band.to > opts.from && opts.band.from < opts.to) {
    const bx = x(opts.band.from);
    out.push(`<rect x="${bx}" y="${MARGIN.top}" width="${r1(Math.max(1, x(opts.band.to) - bx))}" height="${plotH}" fill="#fbe3e3"/>`);
  }
  // Horizontal grid and y labels.
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd" stroke-width="0.6"/>`);
    out.push(`<text x="${MARGIN.left - 4}" y="${r1(y(v) + 3)}" text-anchor="end" fill="#555">${escapeXml(formatNumber(v))}</text>`);
  }
  // Time ticks at round UTC multiples, at most 8 of them.
  const step = X_STEPS.find((s) => span / s <= 8) ?? Math.ceil(span / 8 / 86_400_000) * 86_400_000;
  for (let t = Math.ceil(opts.from / step) * step; t <= opts.to; t += step) {
    out.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 3}" stroke="#777" stroke-width="0.6"/>`);
    const label = step >= 86_400_000 ? new Date(t).toISOString().slice(5, 10) : utcTime(t).slice(0, 5);
    out.push(`<text x="${x(t)}" y="${MARGIN.top + plotH + 13}" text-anchor="middle" fill="#555">${escapeXml(label)}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW}" y="${height - 2}" text-anchor="end" fill="#777">UTC</text>`);
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999" stroke-width="0.6"/>`);

  // The data, split where buckets are missing (no line across a telemetry gap).
  const spacing = pointSpacing(points, opts);
  const segments: SeriesPoint[][] = [];
  for (const p of points) {
    const last = segments.at(-1)?.at(-1);
    if (last && p.t - last.t <= spacing(last.t) * 2.5) segments.at(-1)!.push(p);
    else segments.push([p]);
  }
  const cx = (p: SeriesPoint) => x(p.t + bucketSizeAt(opts, p.t) / 2);
  for (const seg of segments) {
    if (seg.some((p) => p.max > p.min)) {
      const top = seg.map((p) => `${cx(p)},${y(p.max)}`);
      const bottom = seg.map((p) => `${cx(p)},${y(p.min)}`).reverse();
      out.push(`<polygon points="${[...top, ...bottom].join(' ')}" fill="#9ec5f0" fill-opacity="0.45" stroke="none"/>`);
    }
    if (seg.length === 1) out.push(`<circle cx="${cx(seg[0]!)}" cy="${y(seg[0]!.avg)}" r="1.6" fill="#1f5fa8"/>`);
    else out.push(`<polyline points="${seg.map((p) => `${cx(p)},${y(p.avg)}`).join(' ')}" fill="none" stroke="#1f5fa8" stroke-width="1.1" stroke-linejoin="round"/>`);
  }
  if (points.length === 0) {
    out.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH / 2}" text-anchor="middle" fill="#999" font-size="11">no measurements in this window</text>`);
  }

  // Marker labels go to the first of three rows where they overlap no earlier label.
  const rowEnds = [-Infinity, -Infinity, -Infinity];
  for (const m of [...(opts.markers ?? [])].sort((a, b) => a.at - b.at)) {
    if (m.at < opts.from || m.at > opts.to) continue;
    const mx = x(m.at);
    const row = Math.max(0, rowEnds.findIndex((end) => end < mx));
    rowEnds[row] = mx + 4 + m.label.length * 4.4;
    out.push(`<line x1="${mx}" x2="${mx}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#b33" stroke-width="0.8" stroke-dasharray="3,2"/>`);
    out.push(`<text x="${r1(mx + 2)}" y="${MARGIN.top + 8 + row * 9}" fill="#b33" font-size="8">${escapeXml(m.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('');
}
