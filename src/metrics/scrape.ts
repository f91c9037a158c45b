import { createHash, timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { RouteMetrics } from './route-metrics';

export interface ScrapeSource {
  registry: Registry;
  /** Only the API process serves the per-route families (one copy of them per deployment). */
  routeMetrics?: RouteMetrics;
  /** Set: scrapes need `Authorization: Bearer <token>`. */
  token?: string;
}

export interface ScrapeAnswer {
  status: 200 | 401;
  contentType: string;
  body: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** One scrape, whichever server received it. */
export async function scrape(source: ScrapeSource, authorization: string | undefined): Promise<ScrapeAnswer> {
  if (source.token !== undefined && !timingSafeEqual(digest(authorization ?? ''), digest(`Bearer ${source.token}`))) {
    return { status: 401, contentType: 'text/plain; charset=utf-8', body: 'metrics need Authorization: Bearer <STATETRACE_METRICS_TOKEN>\n' };
  }
  const [own, routes] = await Promise.all([source.registry.metrics(), source.routeMetrics?.text() ?? '']);
  return { status: 200, contentType: source.registry.contentType, body: own + routes };
}
