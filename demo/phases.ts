import type { Testbed } from '../test/testbed/testbed';
import { deliveredOf, eventOf, nextTimer, runOf, type OutageRecords } from './outage-records';

/** What the phases compare against: the demo's own actions and the edge router's table. */
export interface PhaseContext {
  tb: Testbed;
  destination: string;
  cutAt: number;
  healAt?: number;
  /** The next hop the edge namespace uses for the destination now (`ip -n … route show`). */
  edgeNextHop(): string;
}

export interface PhaseResult {
  detail: string;
  /** Lines worth keeping on screen above the step list. */
  notes?: string[];
}

/**
 * One phase of the outage as the product records it: `check` gives its result once the
 * records show it happened, `waiting` what it waits for meanwhile.
 */
export interface Phase {
  id: string;
  label: string;
  /** The phase this one follows (it is shown running from then on). */
  after?: string;
  check(r: OutageRecords, ctx: PhaseContext): PhaseResult | undefined;
  waiting(r: OutageRecords, ctx: PhaseContext): string;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const since = (at: Date | null | undefined, from: number) => (at ? sec(new Date(at).getTime() - from) : '?');
const workflowSays = (r: OutageRecords) => (r.workflow ? `workflow: ${r.workflow.phase}${nextTimer(r) ? `, ${nextTimer(r)}` : ''}` : 'no workflow yet');

function pathName(ctx: PhaseContext, hop: string): string {
  if (hop === ctx.tb.links.primary.coreAddress) return 'primary link';
  if (hop === ctx.tb.links.backup.coreAddress) return 'backup link';
  return 'unknown';
}

/** `st0-edge: 198.18.8.0/24 via 198.18.2.2 (backup link)` */
export function edgeRoute(ctx: PhaseContext): string {
  const hop = ctx.edgeNextHop();
  return `${ctx.tb.prefix}edge: ${ctx.destination} via ${hop} (${pathName(ctx, hop)})`;
}

export const PHASES: Phase[] = [
  {
    id: 'detection',
    label: 'Detection',
    check(r, ctx) {
      const ev = eventOf(r, 'detected');
      if (!r.incident || !ev) return undefined;
      const { cause } = (ev.data ?? {}) as { cause?: string };
      return {
        detail: `incident ${r.incident._id} (${r.incident.severity}) ${since(r.incident.detectedAt, ctx.cutAt)} after the cut${cause ? `, by ${cause}` : ''}`,
        notes: [`timeline: ${ev.message}`],
      };
    },
    waiting: () => 'the sweeper probes every second; a route is down after 2 failed sweeps',
  },
  {
    id: 'alert',
    label: 'Alert',
    after: 'detection',
    check(r) {
      const n = deliveredOf(r, 'opened');
      return n && { detail: `paged ${n.targets.join(', ')}: ${n.deliveries.map((d) => `${d.channel}:${d.target} ✓`).join(', ')}` };
    },
    waiting: (r) => (r.notifications.some((n) => n.kind === 'opened') ? 'notification being delivered' : workflowSays(r)),
  },
  {
    id: 'failover',
    label: 'Failover',
    after: 'detection',
    check(r, ctx) {
      const run = runOf(r, 'failover');
      const ev = eventOf(r, 'failed_over');
      if (!run?.ok || !ev || ctx.edgeNextHop() !== ctx.tb.links.backup.coreAddress) return undefined;
      return {
        detail: `on the backup link ${since(r.incident?.failedOverAt, ctx.cutAt)} after the cut (executor ran, backup verified)`,
        notes: [`executor: ${run.argv?.join(' ') ?? '?'}`, edgeRoute(ctx)],
      };
    },
    waiting: (r, ctx) => {
      const route = r.workflow?.routes[0];
      return `${route ? `failover ${route.failover}` : workflowSays(r)} — ${edgeRoute(ctx)}`;
    },
  },
  {
    id: 'escalation',
    label: 'Escalation',
    after: 'alert',
    check(r) {
      const n = deliveredOf(r, 'escalated');
      const ev = eventOf(r, 'escalated');
      return n && ev && { detail: `nobody acknowledged: ${ev.message} (${n.deliveries.map((d) => `${d.channel}:${d.target} ✓`).join(', ')})` };
    },
    waiting: (r) => nextTimer(r) ?? workflowSays(r),
  },
  {
    id: 'heal',
    label: 'Heal the primary link',
    check(r, ctx) {
      const healthySince = r.workflow?.routes[0]?.failbackHealthySince;
      if (!healthySince && !eventOf(r, 'failed_back')) return undefined;
      return { detail: `link up again; the workflow's failback check sees the primary healthy ${healthySince ? `${since(new Date(healthySince), ctx.healAt!)} after the heal` : ''}` };
    },
    waiting: (r) => `link up; waiting for the workflow's failback check (${nextTimer(r) ?? workflowSays(r)})`,
  },
  {
    id: 'failback',
    label: 'Failback',
    after: 'heal',
    check(r, ctx) {
      const run = runOf(r, 'failback');
      if (!run?.ok || !eventOf(r, 'failed_back') || ctx.edgeNextHop() !== ctx.tb.links.primary.coreAddress) return undefined;
      return {
        detail: `back on the primary link ${since(r.incident?.failedBackAt, ctx.healAt!)} after the heal (primary healthy for the failback delay first)`,
        notes: [`executor: ${run.argv?.join(' ') ?? '?'}`, edgeRoute(ctx)],
      };
    },
    waiting: (r) => (r.workflow?.routes[0]?.failbackHealthySince ? `primary healthy, failback delay running (${nextTimer(r) ?? workflowSays(r)})` : workflowSays(r)),
  },
  {
    id: 'resolve',
    label: 'Resolve',
    after: 'failback',
    check(r, ctx) {
      const ev = eventOf(r, 'resolved');
      if (r.incident?.state !== 'resolved' || !ev) return undefined;
      return { detail: `resolved by the workflow itself ${since(r.incident.resolvedAt, ctx.cutAt)} after the cut: ${ev.message}` };
    },
    waiting: (r) => workflowSays(r),
  },
];
