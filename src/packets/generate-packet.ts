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
  /** Where the time went (ms): reading the data, HTML, PDF, storing. */
  timings: { loadMs: number; htmlMs: number; pdfMs: number; storeMs: number };
}

export class UnknownIncidentError extends Error {
  constructor(readonly incidentId: string) {
    super(`no incident ${incidentId}`);
    this.name = 'UnknownIncidentError';
  }
}

export async function generatePacket(deps: GeneratePacketDeps, incidentId: string): Promise<GeneratedPacket> {
  const t0 = performance.now();
  const data = await loadPacketData(deps, incidentId);
  if (!data) throw new UnknownIncidentError(incidentId);
  const t1 = performance.now();
  const html = renderPacketHtml(data);
  const markdown = renderPacketMarkdown(data);
  const t2 = performance.now();
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
      // Kept once their window has closed (see chart-series.ts); carried over when reused.
      ...(data.charts.cacheable || data.charts.source === 'stored packet' ? { charts: storedCharts(data.charts) } : {}),
    },
    { upsert: true, runValidators: true },
  );
  const t4 = performance.now();
  const timings = { loadMs: Math.round(t1 - t0), htmlMs: Math.round(t2 - t1), pdfMs: Math.round(t3 - t2), storeMs: Math.round(t4 - t3) };
  deps.logger?.info({ incidentId, pdfBytes: pdf.length, pages, chartSource: data.charts.source, ...timings }, 'incident packet generated');
  return { incidentId, pdfBytes: pdf.length, ...(pages ? { pages } : {}), markdown, timings };
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
