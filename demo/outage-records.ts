import type { Client } from '@temporalio/client';
import type { Models } from '../src/models';
import { outageState, type OutageState } from '../workflows/messages';

/** What the product has recorded about the route's latest outage, read in one go. */
export interface OutageRecords {
  incident?: {
    _id: string;
    workflowId: string;
    severity: string;
    state: string;
    detectedAt: Date;
    failedOverAt?: Date | null;
    failedBackAt?: Date | null;
    resolvedAt?: Date | null;
    mttrSec?: number | null;
  };
  timeline: { kind: string; at: Date; message: string; data?: unknown }[];
  notifications: { kind: string; targets: string[]; complete: boolean; deliveries: { channel: string; target: string; ok: boolean }[] }[];
  executorRuns: { direction: string; toPathId: string; ok?: boolean | null; argv?: string[] | null; finishedAt?: Date | null }[];
  /** The workflow's own view (its `outageState` query); undefined once it has ended or before it exists. */
  workflow?: OutageState;
}

export async function readOutage(deps: { models: Models; client: Client }, routeId: string, opts: { queryWorkflow: boolean }): Promise<OutageRecords> {
  const { models } = deps;
  const incident = (await models.Incident.findOne({ routes: routeId }).sort({ detectedAt: -1 }).lean()) ?? undefined;
  if (!incident) return { timeline: [], notifications: [], executorRuns: [] };
  const [timeline, notifications, executorRuns, workflow] = await Promise.all([
    models.TimelineEvent.find({ incidentId: incident._id }).sort({ at: 1 }).lean(),
    models.Notification.find({ incidentId: incident._id }).sort({ createdAt: 1 }).lean(),
    models.ExecutorRun.find({ incidentId: incident._id }).sort({ startedAt: 1 }).lean(),
    opts.queryWorkflow ? deps.client.workflow.getHandle(incident.workflowId).query(outageState).catch(() => undefined) : undefined,
  ]);
  return { incident, timeline, notifications, executorRuns, workflow };
}

/** The first timeline event of a kind. */
export const eventOf = (r: OutageRecords, kind: string) => r.timeline.find((e) => e.kind === kind);

/** A notification of a kind that reached every target (`complete`, each delivery ok). */
export const deliveredOf = (r: OutageRecords, kind: string) => r.notifications.find((n) => n.kind === kind && n.complete && n.deliveries.length > 0 && n.deliveries.every((d) => d.ok));

/** The finished executor run in a direction. */
export const runOf = (r: OutageRecords, direction: 'failover' | 'failback') => r.executorRuns.find((x) => x.direction === direction && x.finishedAt);

/** The workflow's next timer, as "escalation level 2 in 6 s". */
export function nextTimer(r: OutageRecords): string | undefined {
  const timer = r.workflow?.pendingTimers[0];
  if (!timer) return undefined;
  const inSec = Math.max(0, Math.ceil((Date.parse(timer.firesAt) - Date.now()) / 1000));
  return `${timer.name} in ${inSec} s`;
}
