/** Plain-text formatting shared by the packet's HTML, SVG and Markdown: every time in UTC. */

/** `2026-11-22 10:42:05 UTC`; '' for a missing or invalid date. */
export function utcDateTime(iso: string | undefined): string {
  const d = iso ? new Date(iso) : undefined;
  if (!d || Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

/** `10:42:05` (UTC). */
export function utcTime(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(11, 19);
}

/** 45s, 4m 12s, 1h 05m, 2d 3h; 'n/a' when unknown. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return 'n/a';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** `1m 00s`, or `1m 00s; 5s from 10:40:00 to 10:52:00 (raw measurements)` for a window with a raw part of its own buckets. */
export function describeBuckets(window: { bucketMs: number; raw?: { from: number; to: number; bucketMs: number } }): string {
  const series = duration(window.bucketMs / 1000);
  const raw = window.raw;
  if (!raw || raw.bucketMs === window.bucketMs) return series;
  return `${series}; ${duration(raw.bucketMs / 1000)} from ${utcTime(raw.from)} to ${utcTime(raw.to)} (raw measurements)`;
}

/** Someone who acted, as stored on timeline events, tasks and incidents. */
export interface PacketActor {
  platform: string;
  id: string;
  name?: string;
}

/** `alice (slack U123)`, or `system` for the system itself. */
export function who(actor: PacketActor | undefined): string {
  if (!actor) return '';
  if (actor.platform === 'system' && !actor.name) return 'system';
  return actor.name ? `${actor.name} (${actor.platform} ${actor.id})` : `${actor.id} (${actor.platform})`;
}

/** Escapes `&`, `<`, `>`, `"` and `'` for XML/HTML text and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Escapes the characters Markdown gives a meaning (emphasis, code, links, HTML, tables,
 * headings) with backslashes, so a route name like `<script>` or `*x*` stays text.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}
