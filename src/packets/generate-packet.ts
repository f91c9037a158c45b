import { createHash } from 'node:crypto';
import type { Logger } from '../logger';
import type { ChartSeries } from './chart-series';
import { loadPacketData, type PacketDataDeps } from './packet-data';
import type { PdfRenderer } from './pdf-renderer';
import { renderPacketHtml, renderPacketMarkdown } from './render-packet';

/**
 * Builds an incident's packet (PDF and Markdown) and stores it with the incident as its
 * IncidentPacket (`_id` = incident id), replacing the previous one. Free of Temporal and
 * Slack: the packet activity calls it, on resolve and on demand, and uploads the result.
 */

export interface GeneratePacketDeps extends PacketDataDeps {
  renderer: Pick<PdfRenderer, 'render'>;
  logger?: Logger;
}

export interface GeneratedPacket {
  incidentId: string;
  pdfBytes: number;
  pages?: number;
  markdown: string;
  /** When the stored PDF was printed (earlier than now when it was reused). */
  generatedAt: Date;
  /**
   * On demand only: `unchanged` when the stored packet already says everything a new one
   * would (nothing printed), `limited` when the incident had its regenerations for the hour
   * (the stored packet stands, a new one may be printed from `limitedUntil`).
   */
  reused?: 'unchanged' | 'limited';
  limitedUntil?: Date;
  /** The Slack channel the stored PDF was shared in, if it was. */
  sharedIn?: string;
  /** Of the stored PDF: sharing it is recorded against this, so a newer print is never marked shared by an older upload. */
  contentHash: string;
  /** Where the time went (ms): reading the data, HTML, PDF, storing. */
  timings: { loadMs: number; htmlMs: number; pdfMs: number; storeMs: number };
}

/** A person's request for a packet: reuse the stored one when nothing changed, and print at most `perHour` an hour per incident. */
export interface OnDemandPacket {
  perHour: number;
}

const HOUR_MS = 3_600_000;
/** Rendered with this time in place of the generation time, the HTML says whether anything but the clock changed. */
const FIXED_GENERATED_AT = new Date(0).toISOString();

export class UnknownIncidentError extends Error {
  constructor(readonly incidentId: string) {
    super(`no incident ${incidentId}`);
    this.name = 'UnknownIncidentError';
  }
}

export async function generatePacket(deps: GeneratePacketDeps, incidentId: string, onDemand?: OnDemandPacket): Promise<GeneratedPacket> {
  const t0 = performance.now();
  const stored = await deps.models.IncidentPacket.findById(incidentId, { generatedAt: 1, pdfBytes: 1, pages: 1, markdown: 1, contentHash: 1, renders: 1, sharedIn: 1 }).lean();
  const recentRenders = (stored?.renders ?? []).filter((at) => at.getTime() > Date.now() - HOUR_MS);
  const reuse = (reused: 'unchanged' | 'limited', timings: GeneratedPacket['timings']): GeneratedPacket => ({
    incidentId,
    pdfBytes: stored!.pdfBytes,
    ...(stored!.pages ? { pages: stored!.pages } : {}),
    markdown: stored!.markdown,
    generatedAt: stored!.generatedAt,
    reused,
    ...(reused === 'limited' ? { limitedUntil: new Date(Math.min(...recentRenders.map((at) => at.getTime())) + HOUR_MS) } : {}),
    ...(stored!.sharedIn ? { sharedIn: stored!.sharedIn } : {}),
    contentHash: stored!.contentHash ?? '',
    timings,
  });
  if (onDemand && stored && recentRenders.length >= onDemand.perHour) return reuse('limited', { loadMs: 0, htmlMs: 0, pdfMs: 0, storeMs: 0 });

  const data = await loadPacketData(deps, incidentId);
  if (!data) throw new UnknownIncidentError(incidentId);
  const t1 = performance.now();
  const html = renderPacketHtml(data);
  const markdown = renderPacketMarkdown(data);
  const contentHash = createHash('sha256').update(renderPacketHtml({ ...data, generatedAt: FIXED_GENERATED_AT })).digest('hex');
  const t2 = performance.now();
  if (onDemand && stored?.contentHash === contentHash) return reuse('unchanged', { loadMs: Math.round(t1 - t0), htmlMs: Math.round(t2 - t1), pdfMs: 0, storeMs: 0 });

  const pdf = await deps.renderer.render(html);
  const t3 = performance.now();
  const pages = countPdfPages(pdf);
  // One writer (the packet activity), the whole document replaced: nothing to merge.
  await deps.models.IncidentPacket.replaceOne(
    { _id: incidentId },
    {
      _id: incidentId,
      incidentId,
      generatedAt: new Date(data.generatedAt),
      pdf,
      pdfBytes: pdf.length,
      ...(pages ? { pages } : {}),
      markdown,
      contentHash,
      renders: [...recentRenders, new Date()],
      // Kept once their window has closed (see chart-series.ts); carried over when reused.
      ...(data.charts.cacheable || data.charts.source === 'stored packet' ? { charts: storedCharts(data.charts) } : {}),
    },
    { upsert: true, runValidators: true },
  );
  const t4 = performance.now();
  const timings = { loadMs: Math.round(t1 - t0), htmlMs: Math.round(t2 - t1), pdfMs: Math.round(t3 - t2), storeMs: Math.round(t4 - t3) };
  deps.logger?.info({ incidentId, pdfBytes: pdf.length, pages, chartSource: data.charts.source, ...timings }, 'incident packet generated');
  return { incidentId, pdfBytes: pdf.length, ...(pages ? { pages } : {}), markdown, generatedAt: new Date(data.generatedAt), contentHash, timings };
}

/** The chart series without the presentation-only fields. */
function storedCharts(charts: ChartSeries) {
  return { from: charts.from, to: charts.to, bucketMs: charts.bucketMs, ...(charts.raw ? { raw: charts.raw } : {}), computedAt: charts.computedAt, routes: charts.routes };
}

/** Pages of a Chromium PDF (its page objects are uncompressed `/Type /Page` dictionaries); undefined when none are found. */
export function countPdfPages(pdf: Buffer): number | undefined {
  const matches = pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g);
  return matches && matches.length > 0 ? matches.length : undefined;
}
