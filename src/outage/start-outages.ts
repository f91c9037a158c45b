import { isGrpcServiceError, ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import mongoose from 'mongoose';
import type { Config } from '../config';
import type { Evaluation } from '../health/evaluate';
import type { Transition } from '../health/debounce';
import type { Logger } from '../logger';
import type { Models } from '../models';
import { probeIcmpBatch, runProbe } from '../probes';
import { startSweeper, type SweeperService } from '../sweeper/run-sweeper';
import type { SweepRoute } from '../sweeper/sweep-routes';
import { prefixedWorkflowId } from '../temporal/workflow-ids';
import { OrderedOutbox } from './ordered-outbox';
import { routeTransitions, type RouteTransitionSignal } from '../../workflows/messages';
import type { outageWorkflow } from '../../workflows/outage';

/** Transitions that open (or feed) an outage; the others only reach a running one. */
const OPENING = new Set(['down', 'degraded', 'flapping', 'telemetry_gap']);
const FOLLOW_UP = new Set(['recovered', 'cleared', 'recovering', 'telemetry_restored']);

/**
 * The outage a route belongs to: routes that list a dependency are grouped under their first
 * (the one closest to the route), so a shared failure is one incident; others stand alone.
 * Its workflow id carries the deployment's prefix (STATETRACE_WORKFLOW_ID_PREFIX), if any.
 */
export function outageKeyOf(route: Pick<SweepRoute, 'id' | 'dependencies'>, workflowIdPrefix: string): { workflowId: string; key: string; dependency?: string } {
  const dependency = route.dependencies[0];
  return dependency
    ? { workflowId: prefixedWorkflowId(workflowIdPrefix, `outage:dep:${dependency}`), key: `dep:${dependency}`, dependency }
    : { workflowId: prefixedWorkflowId(workflowIdPrefix, `outage:${route.id}`), key: `route:${route.id}` };
}

/** How long transitions for one outage are gathered into one signal. */
const GATHER_MS = 100;
/** Transitions in one signal at most (~300 bytes each: far below Temporal's 2 MB payload limit). */
const MAX_PER_SIGNAL = 1_000;
/** Transitions held for one outage while Temporal is away; a flapping route is what could reach it. */
const MAX_HELD_PER_OUTAGE = 5_000;
/**
 * gRPC codes of a server that is away or overloaded, not of a request it refuses: CANCELLED 1,
 * UNKNOWN 2, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, ABORTED 10, INTERNAL 13, UNAVAILABLE 14.
 */
const TRANSIENT_GRPC = new Set([1, 2, 4, 8, 10, 13, 14]);

interface OutgoingTransition {
  key: string;
  dependency?: string;
  signal: RouteTransitionSignal;
}

export interface OutageStarter {
  /** A TransitionListener: hands the transition over and returns at once. */
  onTransition: (route: SweepRoute, t: Transition, evaluation: Evaluation) => void;
  /** Transitions not delivered yet (Temporal away). */
  held(): number;
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * The sweeper's transition listener: opening transitions go out with signalWithStart of the
 * outage workflow (an outage already running for the key just receives them), recoveries
 * as a plain signal (dropped when no outage runs). Transitions for the same outage within
 * GATHER_MS travel in one signal. While Temporal is unreachable (crashed, restarting) they
 * are held per outage, in order, and retried until it answers: a recovery seen during a
 * Temporal restart must still reach its outage, or the outage never fails back. A retry
 * after a lost reply can deliver a batch twice: the workflow handles a repeated transition
 * like the first (a timeline entry twice at worst).
 */
export function outageStarter(deps: { client: Client; taskQueue: string; workflowIdPrefix: string; logger: Logger; timing: Config['outage'] }): OutageStarter {
  const send = async (workflowId: string, batch: OutgoingTransition[]) => {
    const signals = batch.map((t) => t.signal);
    if (signals.some((s) => OPENING.has(s.kind))) {
      await deps.client.workflow.signalWithStart<typeof outageWorkflow, [RouteTransitionSignal[]]>('outageWorkflow', {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [
          {
            key: batch[0]!.key,
            dependency: batch[0]!.dependency,
            // Only an override from the environment: otherwise the route class's (RouteContext).
            ...(deps.timing.confirm && { confirm: deps.timing.confirm }),
            stableForMs: deps.timing.stableForMs,
            failbackCheckMs: deps.timing.failbackCheckMs,
          },
        ],
        signal: routeTransitions,
        signalArgs: [signals],
      });
      deps.logger.info({ workflowId, routes: signals.length }, 'outage workflow signalled');
      return;
    }
    try {
      await deps.client.workflow.getHandle(workflowId).signal(routeTransitions, signals);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  };
  const outbox = new OrderedOutbox<OutgoingTransition>({
    name: 'outage-transitions',
    send,
    retryable: (err) => {
      const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : undefined;
      return grpc !== undefined && TRANSIENT_GRPC.has(grpc.code);
    },
    logger: deps.logger,
    gatherMs: GATHER_MS,
    maxBatch: MAX_PER_SIGNAL,
    maxHeldPerKey: MAX_HELD_PER_OUTAGE,
    retryMaxMs: 5_000,
  });

  return {
    onTransition(route, t, evaluation) {
      if (!OPENING.has(t.kind) && !FOLLOW_UP.has(t.kind)) return;
      const { workflowId, key, dependency } = outageKeyOf(route, deps.workflowIdPrefix);
      outbox.add(workflowId, {
        key,
        dependency,
        signal: {
          routeId: route.id,
          kind: t.kind,
          at: t.at.toISOString(),
          status: evaluation.status,
          score: evaluation.score,
          taxonomy: evaluation.taxonomy,
          cause: t.cause,
          detail: evaluation.sources.map((s) => s.detail).filter(Boolean).join('; ') || undefined,
        },
      });
    },
    held: () => outbox.held,
    stop: (timeoutMs) => outbox.stop(timeoutMs),
  };
}

/** The production sweeper: real probes, every opening transition starting or feeding an outage workflow. */
export async function startSweeperWithOutages(deps: { config: Config; models: Models; client: Client; logger: Logger }): Promise<SweeperService> {
  const { config, models, client, logger } = deps;
  const starter = outageStarter({ client, taskQueue: config.temporal.taskQueue, workflowIdPrefix: config.temporal.workflowIdPrefix, logger, timing: config.outage });
  const sweeper = await startSweeper({ config, models, db: mongoose.connection.db!, probes: { runProbe, probeIcmpBatch }, logger, onTransition: starter.onTransition });
  return {
    ...sweeper,
    async stop() {
      await sweeper.stop();
      // After the sweeper: the transitions of its last probes still go out.
      await starter.stop();
    },
  };
}
