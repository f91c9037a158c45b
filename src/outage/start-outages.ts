import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Evaluation } from '../health/evaluate';
import type { Transition } from '../health/debounce';
import type { Logger } from '../logger';
import type { SweepRoute } from '../sweeper/sweep-routes';
import { routeTransition, type RouteTransitionSignal } from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';

/** Transitions that open (or feed) an outage; the others only reach a running one. */
const OPENING = new Set(['down', 'degraded', 'flapping', 'telemetry_gap']);
const FOLLOW_UP = new Set(['recovered', 'cleared', 'recovering']);

/**
 * The outage a route belongs to: routes that list a dependency are grouped under their first
 * (the one closest to the route), so a shared failure is one incident; others stand alone.
 */
export function outageKeyOf(route: Pick<SweepRoute, 'id' | 'dependencies'>): { workflowId: string; key: string; dependency?: string } {
  const dependency = route.dependencies[0];
  return dependency
    ? { workflowId: `outage:dep:${dependency}`, key: `dep:${dependency}`, dependency }
    : { workflowId: `outage:${route.id}`, key: `route:${route.id}` };
}

/**
 * The sweeper's transition listener: signalWithStart of the outage workflow for opening
 * transitions (an outage already running for the key just receives the signal), a plain
 * signal for recoveries (ignored when no outage runs).
 */
export function outageStarter(deps: { client: Client; taskQueue: string; logger: Logger; timing: Config['outage'] }) {
  return async (route: SweepRoute, t: Transition, evaluation: Evaluation): Promise<void> => {
    if (!OPENING.has(t.kind) && !FOLLOW_UP.has(t.kind)) return;
    const { workflowId, key, dependency } = outageKeyOf(route);
    const signal: RouteTransitionSignal = {
      routeId: route.id,
      kind: t.kind,
      at: t.at.toISOString(),
      status: evaluation.status,
      score: evaluation.score,
      taxonomy: evaluation.taxonomy,
      cause: t.cause,
      detail: evaluation.sources.map((s) => s.detail).filter(Boolean).join('; ') || undefined,
    };
    if (OPENING.has(t.kind)) {
      await deps.client.workflow.signalWithStart<typeof outageWorkflow, [RouteTransitionSignal]>('outageWorkflow', {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [
          {
            key,
            dependency,
            confirm: { attempts: deps.timing.confirmAttempts, intervalMs: deps.timing.confirmIntervalMs },
            stableForMs: deps.timing.stableForMs,
            failbackCheckMs: deps.timing.failbackCheckMs,
          },
        ],
        signal: routeTransition,
        signalArgs: [signal],
      });
      deps.logger.info({ routeId: route.id, workflowId, transition: t.kind }, 'outage workflow signalled');
      return;
    }
    try {
      await deps.client.workflow.getHandle(workflowId).signal(routeTransition, signal);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  };
}
