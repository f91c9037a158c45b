import { z } from 'zod';
import { CLOSED_STATES } from '../../models/incident';
import type { HttpServer } from '../server';
import { errorResponses, isoDate, type ApiV1Deps } from './api-schemas';
import type { StatusViews } from './status-view';

const FAILOVER_EVENTS_MAX = 1000;
const DEFAULT_SINCE_MS = 30 * 86_400_000;
const unfilled = z.null().describe('not measured by StateTrace: always null');

const exportBody = z.object({
  paths: z.array(z.object({
    path_id: z.string(),
    health: z.object({
      latency_ms: z.number().nullable(),
      packet_loss_pct: z.number().nullable(),
      jitter_ms: z.number().nullable(),
      health_score: z.number().nullable(),
      status: z.enum(['up', 'degraded', 'down', 'unknown']),
      last_checked: z.string().nullable(),
    }),
    traffic: z.object({ bytes_total: unfilled, packets_total: unfilled, active_flows: unfilled }),
  })),
  policies: z.array(z.object({ policy_id: z.string(), name: z.string(), bytes_matched: unfilled, packets_matched: unfilled, active_flows: unfilled })),
  failovers: z.array(z.object({
    event_id: z.string(),
    policy_id: z.string(),
    type: z.enum(['triggered', 'failback_completed', 'failed']),
    from_path: z.string(),
    to_path: z.string(),
    timestamp: z.string(),
  })),
});

const DESCRIPTION = `The JSON export of the path-health export spec (\`paths\`, \`policies\`, \`failovers\`), filled from StateTrace's data:
- \`paths\`: one per route, the path that carries its traffic now (\`<routeId>/<pathId>\`: the primary path, or the backup an open incident failed over to), with the route's latest measurement from the status board. Never measured: \`status\` "unknown" (the spec knows only up/degraded/down) and null measurements; no jitter measured: \`jitter_ms\` null.
- \`traffic\` and the policies' \`bytes_matched\`, \`packets_matched\`, \`active_flows\`: StateTrace measures no traffic; always null.
- \`policies\`: the failover policies; ids are StateTrace's string ids (the spec shows numbers) and \`name\` is the id.
- \`failovers\`: finished executor runs since \`since\` (default 30 days), newest first, at most ${FAILOVER_EVENTS_MAX}; \`event_id\` is the run id (a string), \`type\` triggered (fail-over done), failback_completed, or failed (either direction). Runs still in progress are left out.`;

export function registerExportApi(app: HttpServer, { models, auth }: ApiV1Deps, views: StatusViews): void {
  app.get('/api/v1/export', {
    preHandler: auth.requireScope('read'),
    schema: {
      tags: ['export'],
      summary: 'Path health, policies and failover events (path-health export format)',
      description: DESCRIPTION,
      querystring: z.object({ since: z.iso.datetime({ offset: true }).optional().describe('failover events from; default: 30 days ago') }),
      response: { 200: exportBody, ...errorResponses(400, 401, 403) },
    },
  }, async (req): Promise<z.infer<typeof exportBody>> => {
    const since = req.query.since ? new Date(req.query.since) : new Date(Date.now() - DEFAULT_SINCE_MS);
    const [view, routes, open, policies, runs] = await Promise.all([
      views.current(),
      models.RouteRecord.find({}, { paths: 1 }).lean(),
      models.Incident.find({ state: { $nin: CLOSED_STATES }, activePath: { $exists: true } }, { routes: 1, activePath: 1 }).lean(),
      models.FailoverPolicy.find({}, { _id: 1 }).sort({ _id: 1 }).lean(),
      models.ExecutorRun.find({ status: 'finished', startedAt: { $gte: since } }).sort({ startedAt: -1 }).limit(FAILOVER_EVENTS_MAX).lean(),
    ]);
    const failedOverTo = new Map(open.flatMap((i) => i.routes.map((r) => [r, i.activePath!] as const)));
    return {
      paths: routes.map((route) => {
        const pathId = failedOverTo.get(route._id) ?? route.paths.find((p) => p.role === 'primary')?.id;
        const row = view.byId.get(route._id);
        return {
          path_id: `${route._id}/${pathId}`,
          health: {
            latency_ms: row?.latencyMs ?? null,
            packet_loss_pct: row?.lossPct ?? null,
            jitter_ms: row?.jitterMs ?? null,
            health_score: row?.at ? row.score : null,
            status: row?.status ?? 'unknown',
            last_checked: row?.at ?? null,
          },
          traffic: { bytes_total: null, packets_total: null, active_flows: null },
        };
      }),
      policies: policies.map((p) => ({ policy_id: p._id, name: p._id, bytes_matched: null, packets_matched: null, active_flows: null })),
      failovers: runs.map((r) => ({
        event_id: r._id,
        policy_id: r.policyId,
        type: !r.ok ? 'failed' : r.direction === 'failover' ? 'triggered' : 'failback_completed',
        from_path: `${r.routeId}/${r.fromPathId}`,
        to_path: `${r.routeId}/${r.toPathId}`,
        timestamp: isoDate(r.finishedAt ?? r.startedAt)!,
      })),
    };
  });
}
