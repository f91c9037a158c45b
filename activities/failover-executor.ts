import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { probeSchema } from '../src/directory/schema';
import { evaluateRoute, type Evaluation } from '../src/health/evaluate';
import { createLogger, type Logger } from '../src/logger';
import { failovers } from '../src/metrics/instruments';
import type { Models } from '../src/models';
import { insertOnce } from '../src/models/insert-once';
import { outboundPolicy, type OutboundPolicy } from '../src/net/outbound';
import type { RouteRecordDoc } from '../src/models/route';
import { runProbe, type ProbeSpec } from '../src/probes';
import { prepareExecutor, type PathView, type TemplateContext } from './executors/prepare';
import type { ExecuteFailoverInput, ExecuteFailoverResult, VerifyPathInput, VerifyPathResult } from './outage-contract';

/** Time a run has after its executor's timeout to record its outcome. */
const RECORDING_GRACE_MS = 5000;
/** How often a duplicate call looks for the outcome of the run that holds its key. */
const DUPLICATE_POLL_MS = 200;
/** A route table change takes a moment: verifyPath probes this often, this far apart, before saying no. */
const VERIFY_ATTEMPTS = 3;
const VERIFY_PAUSE_MS = 300;

export interface FailoverActivityDeps {
  models: Models;
  /** Where webhook secrets and SNMP communities are read, by the names the policy gives; also the command's environment. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Where webhook executors may send (STATETRACE_OUTBOUND_ALLOW); public addresses only when absent. */
  outbound?: OutboundPolicy;
}

type StoredRoute = RouteRecordDoc & { _id: string };
type StoredPath = RouteRecordDoc['paths'][number];

/** Failover execution and path verification for the outage workflow. */
export function createFailoverActivities({ models, env = process.env, logger = createLogger(), outbound = outboundPolicy('') }: FailoverActivityDeps) {
  const loadRoute = async (routeId: string): Promise<StoredRoute> => {
    const route = await models.RouteRecord.findById(routeId).lean<StoredRoute>();
    if (!route) throw ApplicationFailure.nonRetryable(`unknown route "${routeId}"`, 'UnknownRoute');
    return route;
  };

  /**
   * The outcome recorded under `key`, for a call that found the key already taken. A run still
   * in progress is waited for until its deadline. A run that passed its deadline without an
   * outcome (its worker died mid-run, or could not record) is reported as it stands, ok:false
   * with outcomeUnknown, and is NOT run again: whether it changed the network is unknown, and
   * repeating a route change blindly is worse than looking (the workflow verifies the path).
   */
  const recordedResult = async (key: string): Promise<ExecuteFailoverResult> => {
    for (;;) {
      const run = await models.ExecutorRun.findById(key).lean();
      if (!run) throw new Error(`executor run "${key}" vanished while a duplicate call waited for it`);
      if (run.status === 'finished') return { ok: run.ok === true, detail: run.detail ?? '', duplicate: true };
      if (Date.now() > run.deadline.getTime()) {
        return {
          ok: false,
          detail: `a run with this key started at ${run.startedAt.toISOString()} and never recorded an outcome (its worker may have stopped mid-run); not run again`,
          duplicate: true,
          outcomeUnknown: true,
        };
      }
      await sleep(DUPLICATE_POLL_MS);
    }
  };

  return {
    /**
     * Runs the policy's executor once per idempotency key. The key is claimed by inserting its
     * ExecutorRun document before anything runs (FerretDB 1.x: _id uniqueness is the one
     * atomic guarantee); a call that finds the key taken returns that run's outcome with
     * `duplicate: true`.
     */
    // Heartbeats while it works, so a worker that dies mid-run is noticed in seconds, not at the start-to-close timeout.
    executeFailover: (input: ExecuteFailoverInput): Promise<ExecuteFailoverResult> => heartbeating(async () => {
      const key = input.idempotencyKey;
      // A retry after the directory changed still gets what the first run did.
      if (await models.ExecutorRun.exists({ _id: key })) return recordedResult(key);

      const route = await loadRoute(input.routeId);
      const policy = await models.FailoverPolicy.findById(input.policyId).lean();
      if (!policy) throw ApplicationFailure.nonRetryable(`unknown failover policy "${input.policyId}"`, 'UnknownPolicy');
      const from = pathView(findPath(route, input.fromPathId));
      const to = pathView(findPath(route, input.toPathId));
      const context: TemplateContext = {
        route: withoutUnset({ id: route._id, name: route.name, destination: route.destination ?? undefined }),
        from,
        to,
        path: to,
        incident: { id: input.incidentId },
        direction: input.direction,
      };
      const executor = prepareExecutor(policy.executor, context, input, { env, outbound });

      const startedAt = new Date();
      const claimed = await insertOnce(models.ExecutorRun, {
        _id: key,
        incidentId: input.incidentId,
        routeId: input.routeId,
        policyId: input.policyId,
        direction: input.direction,
        fromPathId: input.fromPathId,
        toPathId: input.toPathId,
        kind: executor.kind,
        status: 'running',
        startedAt,
        deadline: new Date(startedAt.getTime() + executor.timeoutMs + RECORDING_GRACE_MS),
        argv: executor.argv,
      });
      if (!claimed) return recordedResult(key);

      const log = logger.child({ routeId: input.routeId, incidentId: input.incidentId, idempotencyKey: key, executor: executor.kind });
      log.info({ direction: input.direction, from: from.id, to: to.id, argv: executor.argv }, 'failover executor running');
      const outcome = await executor.run();
      await models.ExecutorRun.updateOne(
        { _id: key },
        { $set: { status: 'finished', finishedAt: new Date(), ok: outcome.ok, detail: outcome.detail, ...(outcome.exitCode !== undefined && { exitCode: outcome.exitCode }) } },
      );
      failovers.inc({ direction: input.direction, outcome: outcome.ok ? 'succeeded' : 'failed' });
      if (outcome.ok) log.info({ detail: outcome.detail }, 'failover executor succeeded');
      else log.warn({ detail: outcome.detail }, 'failover executor failed');
      return { ok: outcome.ok, detail: outcome.detail, duplicate: false };
    }),

    /**
     * Whether a path of the route carries traffic: its own probe if it has one, else the
     * route's ICMP probes, scored with the route class thresholds; ok when the status is up.
     */
    verifyPath: async ({ routeId, pathId }: VerifyPathInput): Promise<VerifyPathResult> => {
      const route = await loadRoute(routeId);
      const path = findPath(route, pathId);
      const routeClass = await models.RouteClass.findById(route.routeClass).lean();
      if (!routeClass) throw ApplicationFailure.nonRetryable(`route "${routeId}" refers to class "${route.routeClass}", which is not in the directory`, 'BrokenRoute');
      const specs = (path.probe ? [path.probe] : route.probes.filter((p) => p.kind === 'icmp' || p.kind === 'icmp-batch')).map((p) => probeSpec(routeId, p));
      if (specs.length === 0) return { ok: false, status: 'unknown', score: 0, detail: `path "${pathId}" has no probe and the route has no ICMP probe` };

      let evaluation: Evaluation | undefined;
      for (let attempt = 1; attempt <= VERIFY_ATTEMPTS; attempt++) {
        if (attempt > 1) await sleep(VERIFY_PAUSE_MS);
        const measurements = await Promise.all(specs.map((spec) => runProbe(spec, { env })));
        evaluation = evaluateRoute(
          measurements.map((measurement) => ({ origin: 'probe' as const, measurement })),
          routeClass.thresholds,
        );
        if (evaluation.status === 'up') break;
      }
      const { status, score, sources } = evaluation!;
      const detail = sources.map((s) => `${s.kind} ${s.target ?? ''}: ${s.status}${s.detail ? ` (${s.detail})` : ''}`).join('; ');
      return { ok: status === 'up', status, score, detail };
    },
  };
}

function findPath(route: StoredRoute, pathId: string): StoredPath {
  const path = route.paths.find((p) => p.id === pathId);
  if (!path) throw ApplicationFailure.nonRetryable(`route "${route._id}" has no path "${pathId}"; it has ${route.paths.map((p) => p.id).join(', ')}`, 'UnknownPath');
  return path;
}

function pathView(path: StoredPath): PathView {
  return withoutUnset({ id: path.id, nextHop: path.nextHop, interface: path.interface ?? undefined });
}

/** Unset fields are left out, so a strict template that uses one fails instead of rendering "". */
function withoutUnset<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as T;
}

/** Stored probe subdocuments carry nulls for unset fields; the route file schema restores the spec (and its defaults). */
function probeSpec(routeId: string, stored: object): ProbeSpec {
  const parsed = probeSchema.safeParse(stripNulls(stored));
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`route "${routeId}" has a probe that is not valid: ${parsed.error.message}`, 'BrokenRoute');
  return parsed.data;
}

function stripNulls(o: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? stripNulls(v as object) : v]),
  );
}

/** Runs work while telling Temporal every 2 s that this activity is alive. */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), 2000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
