import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import mongoose from 'mongoose';
import type { Config } from '../config';
import type { Evaluation } from '../health/evaluate';
import type { Transition } from '../health/debounce';
import type { Logger } from '../logger';
import type { Models } from '../models';
import { probeIcmpBatch, runProbe } from '../probes';
import { startSweeper, type SweeperService } from '../sweeper/run-sweeper';
import type { SweepRoute } from '../sweeper/sweep-routes';
import { routeTransitions, type RouteTransitionSignal } from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';

/** Transitions that open (or feed) an outage; the others only reach a running one. */
const OPENING = new Set(['down', 'degraded', 'flapping', 'telemetry_gap']);
const FOLLOW_UP = new Set(['recovered', 'cleared', 'recovering', 'telemetry_restored']);

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

/** How long transitions for one outage are gathered into one signal. */
const GATHER_MS = 100;

/**
 * The sweeper's transition listener: opening transitions go out with signalWithStart of the
 * outage workflow (an outage already running for the key just receives them), recoveries
 * as a plain signal (dropped when no outage runs). Transitions for the same outage within
 * GATHER_MS travel in one signal.
 */
export function outageStarter(deps: { client: Client; taskQueue: string; logger: Logger; timing: Config['outage'] }) {
  const gathering = new Map<string, { key: string; dependency?: string; signals: RouteTransitionSignal[]; opening: boolean }>();

  const send = async (workflowId: string) => {
    const batch = gathering.get(workflowId)!;
    gathering.delete(workflowId);
    if (batch.opening) {
      await deps.client.workflow.signalWithStart<typeof outageWorkflow, [RouteTransitionSignal[]]>('outageWorkflow', {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [
          {
            key: batch.key,
            dependency: batch.dependency,
            confirm: { attempts: deps.timing.confirmAttempts, intervalMs: deps.timing.confirmIntervalMs },
            stableForMs: deps.timing.stableForMs,
            failbackCheckMs: deps.timing.failbackCheckMs,
          },
        ],
        signal: routeTransitions,
        signalArgs: [batch.signals],
      });
      deps.logger.info({ workflowId, routes: batch.signals.length }, 'outage workflow signalled');
      return;
    }
    try {
      await deps.client.workflow.getHandle(workflowId).signal(routeTransitions, batch.signals);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  };

  return (route: SweepRoute, t: Transition, evaluation: Evaluation): Promise<void> => {
    if (!OPENING.has(t.kind) && !FOLLOW_UP.has(t.kind)) return Promise.resolve();
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
    const batch = gathering.get(workflowId);
    if (batch) {
      batch.signals.push(signal);
      batch.opening ||= OPENING.has(t.kind);
      return Promise.resolve();
    }
    gathering.set(workflowId, { key, dependency, signals: [signal], opening: OPENING.has(t.kind) });
    return new Promise((resolve, reject) => setTimeout(() => void send(workflowId).then(resolve, reject), GATHER_MS));
  };
}

/** The production sweeper: real probes, every opening transition starting or feeding an outage workflow. */
export function startSweeperWithOutages(deps: { config: Config; models: Models; client: Client; logger: Logger }): Promise<SweeperService> {
  const { config, models, client, logger } = deps;
  return startSweeper({
    config,
    models,
    db: mongoose.connection.db!,
    probes: { runProbe, probeIcmpBatch },
    logger,
    onTransition: outageStarter({ client, taskQueue: config.temporal.taskQueue, logger, timing: config.outage }),
  });
}
