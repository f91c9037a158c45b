import { ApplicationFailure } from '@temporalio/common';
import type { Models } from '../src/models';
import { insertOnce } from '../src/models/insert-once';
import { confirmationOf, type Confirmation } from '../src/directory/route-class-confirmation';
import type { AuditEntryDoc } from '../src/models/audit-entry';
import { maintenanceOf } from '../src/directory/maintenance-windows';

/** Everything the outage workflow needs to know about a route, in one serialisable value. */
export interface RouteContext {
  route: { id: string; name: string; environment: string; primary: boolean; dependencies: string[]; runbooks: string[] };
  paths: { id: string; role: 'primary' | 'backup'; nextHop: string; interface?: string }[];
  /** `confirm`: the detect phase's probes, as the class sets them or derived from its debounce. */
  routeClass: { id: string; telemetrySlaSec: number; thresholds: { latencyMs: number; lossPct: number; jitterMs: number }; confirm: Confirmation };
  owner: { team: string; name: string; contact: string; oncall: { slack: string[]; discord: string[] } };
  /** Maintenance windows (ISO times): declared in the route file and opened at run time. */
  maintenance: { start: string; end: string; reason: string }[];
  failoverPolicy?: {
    id: string;
    mode: 'automatic' | 'manual';
    failoverThreshold: number;
    failbackThreshold: number;
    failbackDelaySec: number;
    failbackMode: 'automatic' | 'approval';
  };
  escalationPolicy?: { id: string; levels: { afterSec: number; notify: string[] }[]; repeat: number; repeatEverySec: number };
}

export type AuditInput = Pick<AuditEntryDoc, 'action' | 'outcome'> & {
  idempotencyKey: string;
  at: Date;
  actor: { platform: 'slack' | 'discord' | 'api' | 'cli' | 'system'; id: string; name?: string };
  target: { kind: string; id: string };
  incidentId?: string;
  routeId?: string;
  reason?: string;
  before?: unknown;
  after?: unknown;
};

/** Route directory reads and audit writes for workflows (built with the models they use). */
export function createRouteDirectoryActivities({ models }: { models: Models }) {
  async function loadRouteContext(routeId: string): Promise<RouteContext> {
    const route = await models.RouteRecord.findById(routeId).lean();
    if (!route) throw ApplicationFailure.nonRetryable(`unknown route "${routeId}"`, 'UnknownRoute');
    const [routeClass, team, failoverPolicy, escalationPolicy] = await Promise.all([
      models.RouteClass.findById(route.routeClass).lean(),
      models.Team.findById(route.owner?.team).lean(),
      route.failoverPolicy ? models.FailoverPolicy.findById(route.failoverPolicy).lean() : null,
      route.escalationPolicy ? models.EscalationPolicy.findById(route.escalationPolicy).lean() : null,
    ]);
    if (!routeClass || !team) {
      throw ApplicationFailure.nonRetryable(`route "${routeId}" refers to a class or team that is not in the directory`, 'BrokenRoute');
    }
    return {
      route: {
        id: route._id,
        name: route.name,
        environment: route.environment,
        primary: route.primary,
        dependencies: route.dependencies,
        runbooks: route.runbooks,
      },
      paths: route.paths.map((p) => ({ id: p.id, role: p.role, nextHop: p.nextHop, interface: p.interface ?? undefined })),
      routeClass: { id: routeClass._id, telemetrySlaSec: routeClass.telemetrySlaSec, thresholds: routeClass.thresholds, confirm: confirmationOf(routeClass) },
      owner: {
        team: team._id,
        name: team.name,
        contact: route.owner?.contact ?? team.contact,
        oncall: { slack: team.oncall?.slack ?? [], discord: team.oncall?.discord ?? [] },
      },
      maintenance: (await maintenanceOf(models, route)).map((w) => ({ start: w.start.toISOString(), end: w.end.toISOString(), reason: w.reason })),
      failoverPolicy: failoverPolicy
        ? {
            id: failoverPolicy._id,
            mode: failoverPolicy.mode,
            failoverThreshold: failoverPolicy.failoverThreshold,
            failbackThreshold: failoverPolicy.failbackThreshold,
            failbackDelaySec: failoverPolicy.failbackDelaySec,
            failbackMode: failoverPolicy.failbackMode,
          }
        : undefined,
      escalationPolicy: escalationPolicy
        ? {
            id: escalationPolicy._id,
            levels: escalationPolicy.levels.map((l) => ({ afterSec: l.afterSec, notify: l.notify })),
            repeat: escalationPolicy.repeat,
            repeatEverySec: escalationPolicy.repeatEverySec,
          }
        : undefined,
    };
}

  return {
    /** The routes an outage concerns (one, or a dependency's many), in the given order. */
    loadRouteContexts: (routeIds: string[]): Promise<RouteContext[]> => Promise.all(routeIds.map((id) => loadRouteContext(id))),

    /** Records an audit entry once, however often it is retried (keyed by idempotencyKey). */
    appendAuditEntry: async ({ idempotencyKey, ...entry }: AuditInput): Promise<void> => {
      await insertOnce(models.AuditEntry, { _id: idempotencyKey, ...entry });
    },
  };
}
