import type { Models } from '../models';
import { family, labelValue } from './exposition';

/**
 * The `statetrace_route_info{route,name,team,environment} 1` family for every route of the
 * directory: the names and owners Grafana joins onto the per-route gauges, which carry only
 * `route`. Rendered once and reused for `ttlMs`; once stale, scrapes keep getting the old
 * text while one reload runs (a failed reload is retried by the next scrape), so only the
 * first scrape waits for the directory.
 */
export function createRouteInfo(models: Pick<Models, 'RouteRecord'>, ttlMs = 60_000, now: () => number = Date.now): () => Promise<string> {
  let text: string | undefined;
  let loadedAt = -Infinity;
  let loading: Promise<string> | undefined;

  const reload = () =>
    (loading ??= renderRouteInfo(models)
      .then((rendered) => {
        text = rendered;
        loadedAt = now();
        return rendered;
      })
      .finally(() => (loading = undefined)));

  return async () => {
    if (text !== undefined && now() - loadedAt < ttlMs) return text;
    const pending = reload();
    if (text === undefined) return pending;
    pending.catch(() => undefined);
    return text;
  };
}

async function renderRouteInfo(models: Pick<Models, 'RouteRecord'>): Promise<string> {
  const routes = await models.RouteRecord.find({}, { name: 1, environment: 1, owner: 1 }).lean();
  let samples = '';
  for (const r of routes) {
    samples += `statetrace_route_info{route="${labelValue(r._id)}",name="${labelValue(r.name)}",team="${labelValue(r.owner?.team ?? '')}",environment="${labelValue(r.environment)}"} 1\n`;
  }
  return family('statetrace_route_info', 'gauge', 'Route directory entry (always 1): joins name, owner team and environment onto the per-route series by route.', samples);
}
