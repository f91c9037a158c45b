import { Types } from 'mongoose';
import { initialDebounceState, observe, type DebounceState, type Transition } from '../health/debounce';
import { EchoWindow } from '../health/echo-window';
import { evaluateRoute, type Evaluation, type HealthSource } from '../health/evaluate';
import type { Logger } from '../logger';
import { detectionLatency, recordProbe } from '../metrics/instruments';
import type { Models } from '../models';
import type { IcmpProbeSpec, Measurement, ProbeOptions, ProbeSpec, RouteSignal } from '../probes/types';
import type { SeriesSample } from '../series/minute-stats';
import type { StatusBoardWriter } from '../status/status-board';
import type { BatchWriter } from './batch-writer';
import { concurrencyLimit } from './limit';
import { phaseOffsetMs } from './shard';
import { loadSweepRoutes, type SweepRoute } from './sweep-routes';

export interface ProbeRunner {
  runProbe(spec: ProbeSpec, opts?: ProbeOptions): Promise<Measurement>;
  probeIcmpBatch(specs: IcmpProbeSpec[]): Promise<Measurement[]>;
}

/** Receives every transition (recorded now; the outage workflow's signalWithStart later). */
export type TransitionListener = (route: SweepRoute, transition: Transition, evaluation: Evaluation) => void | Promise<void>;

interface RouteRuntime {
  route: SweepRoute;
  nextDueAt: number;
  debounce: DebounceState;
  echoes: EchoWindow;
  lastHealthyAt?: Date;
  /** A linkUp trap asked the probes to confirm a recovery: while the route recovers, each probe is followed by another within RECOVERY_CONFIRM_MS. */
  confirmingRecovery?: boolean;
}

/** How soon the next probe follows one that saw a trapped-up route recovering. */
const RECOVERY_CONFIRM_MS = 1000;

export interface ShardSweeperDeps {
  shard: number;
  shardCount: number;
  models: Pick<Models, 'RouteRecord' | 'RouteClass' | 'PendingSignal'>;
  probes: ProbeRunner;
  snapshots: BatchWriter<{ _id: Types.ObjectId }>;
  transitions: BatchWriter<{ _id: string }>;
  /** Sums every snapshot into the per-minute series (SeriesWriter). */
  series: { add(sample: SeriesSample): void };
  /** This shard's status board: every route's latest measurement (StatusBoardWriter). */
  board: Pick<StatusBoardWriter, 'set' | 'forget'>;
  onTransition?: TransitionListener;
  logger: Logger;
  /** Individual (non-batch) probes in flight at once. */
  probeConcurrency?: number;
  now?: () => number;
}

/**
 * Probes one shard's routes on their intervals. `tick()` starts the probes of every route
 * that is due and returns at once; each route's results are scored, written as a snapshot
 * (batched) and fed to its debounce state machine, whose transitions are recorded and
 * passed to `onTransition`. Pushed signals (traps, API) take the same path via `applySignal`.
 */
export class ShardSweeper {
  private readonly runtimes = new Map<string, RouteRuntime>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly limit;
  private readonly now: () => number;
  private trapIndex = new Map<string, string[]>();
  private pendingRead: Promise<void> | undefined;
  private pendingReadFailing = false;

  constructor(private readonly deps: ShardSweeperDeps) {
    this.limit = concurrencyLimit(deps.probeConcurrency ?? 64);
    this.now = deps.now ?? Date.now;
  }

  get routeCount(): number {
    return this.runtimes.size;
  }

  /** Picks up added, changed and removed routes; keeps the debounce state of the ones that stay. */
  async reloadRoutes(): Promise<void> {
    const { routes, skipped } = await loadSweepRoutes(this.deps.models, this.deps.shard, this.deps.shardCount);
    if (skipped.length > 0) this.deps.logger.warn({ shard: this.deps.shard, skipped }, 'routes whose class is missing are not swept');
    const now = this.now();
    const seen = new Set<string>();
    for (const route of routes) {
      seen.add(route.id);
      const existing = this.runtimes.get(route.id);
      if (existing) existing.route = route;
      else this.runtimes.set(route.id, { route, nextDueAt: now + phaseOffsetMs(route.id, route.intervalMs), debounce: initialDebounceState(now), echoes: new EchoWindow() });
    }
    const gone = [...this.runtimes.keys()].filter((id) => !seen.has(id));
    for (const id of gone) this.runtimes.delete(id);
    this.deps.board.forget(gone);
    const index = new Map<string, string[]>();
    for (const { route } of this.runtimes.values()) for (const key of route.trapKeys) index.set(key, [...(index.get(key) ?? []), route.id]);
    this.trapIndex = index;
  }

  /** Route ids whose interface `agent|ifIndex` a trap speaks of. */
  routesForTrap(key: string): string[] {
    return this.trapIndex.get(key) ?? [];
  }

  /** Starts the probes of every due route and a read of pending API signals. Resolves once started. */
  tick(): Promise<number> {
    // Pending API signals are read beside the probes, one read at a time: while the database
    // is away the read waits and fails (logged once), and probing goes on.
    this.pendingRead ??= this.consumePendingSignals()
      .then(
        () => void (this.pendingReadFailing = false),
        (err: unknown) => {
          if (!this.pendingReadFailing) this.deps.logger.warn({ err, shard: this.deps.shard }, 'could not read pending signals; retrying every tick');
          this.pendingReadFailing = true;
        },
      )
      .finally(() => (this.pendingRead = undefined));
    const now = this.now();
    const due: RouteRuntime[] = [];
    for (const rt of this.runtimes.values()) {
      if (rt.nextDueAt > now || this.inFlight.has(rt.route.id)) continue;
      // Keep the phase; after a stall, start again from now rather than firing a backlog.
      rt.nextDueAt = rt.nextDueAt + rt.route.intervalMs > now ? rt.nextDueAt + rt.route.intervalMs : now + rt.route.intervalMs;
      due.push(rt);
    }
    if (due.length === 0) return Promise.resolve(0);

    const batchItems = due.flatMap((rt) => rt.route.probes.filter((p): p is IcmpProbeSpec => p.kind === 'icmp-batch').map((spec) => ({ rt, spec })));
    const batch = batchItems.length > 0 ? this.deps.probes.probeIcmpBatch(batchItems.map((b) => b.spec)) : Promise.resolve([]);
    const batchResults = batch.then(
      (ms) => ms,
      (err: unknown) => batchItems.map(({ spec }) => unknownMeasurement(spec, err)),
    );

    const batchIndexes = new Map<RouteRuntime, number[]>();
    batchItems.forEach(({ rt }, i) => batchIndexes.set(rt, [...(batchIndexes.get(rt) ?? []), i]));
    for (const rt of due) {
      const work = (async () => {
        const single = rt.route.probes.filter((p) => p.kind !== 'icmp-batch').map((spec) => this.limit(() => this.deps.probes.runProbe(spec)));
        const fromBatch = await batchResults;
        const measurements = [...(batchIndexes.get(rt) ?? []).map((i) => fromBatch[i]!), ...(await Promise.all(single))];
        for (const m of measurements) recordProbe(m);
        const sent = (m: Measurement) => rt.route.probes.find((p) => p.kind !== 'snmp' && p.target === m.target && p.kind === m.kind);
        const smoothed = measurements.map((m) => rt.echoes.smooth(m, (sent(m) as IcmpProbeSpec | undefined)?.count ?? 1));
        this.record(rt, smoothed.map((measurement) => ({ origin: 'probe' as const, measurement })), 'probe');
        if (rt.confirmingRecovery) {
          rt.confirmingRecovery = rt.debounce.state === 'recovering';
          if (rt.confirmingRecovery) rt.nextDueAt = Math.min(rt.nextDueAt, this.now() + RECOVERY_CONFIRM_MS);
        }
      })()
        .catch((err: unknown) => this.deps.logger.error({ err, routeId: rt.route.id }, 'sweep of a route failed'))
        .finally(() => this.inFlight.delete(rt.route.id));
      this.inFlight.set(rt.route.id, work);
    }
    return Promise.resolve(due.length);
  }

  /**
   * A pushed signal: scored and debounced like a probe result. A linkDown trap is
   * authoritative (down at once); any signal also makes the route due now, so a probe
   * confirms and measures it on the next tick. A trap can only hasten `down`: a linkUp
   * (which anyone who can reach the port may send) only makes the route due, and recovery
   * needs the probes to agree.
   */
  applySignal(signal: RouteSignal): Transition[] {
    const rt = this.runtimes.get(signal.routeId);
    if (!rt) return [];
    rt.nextDueAt = Math.min(rt.nextDueAt, this.now());
    if (signal.source === 'snmp-trap' && signal.status !== 'down') {
      rt.confirmingRecovery = true;
      return [];
    }
    const hard = signal.source === 'snmp-trap' && signal.status === 'down';
    return this.record(rt, [{ origin: 'signal', signal }], signal.source, hard, signal.at);
  }

  /** Waits for the pending-signal read and every probe in flight (shutdown, tests). */
  async drain(): Promise<void> {
    await this.pendingRead;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  debounceState(routeId: string): DebounceState | undefined {
    return this.runtimes.get(routeId)?.debounce;
  }

  private record(rt: RouteRuntime, sources: HealthSource[], cause: string, hard = false, at = new Date(this.now())): Transition[] {
    const { route } = rt;
    const evaluation = evaluateRoute(sources, route.thresholds);
    if (evaluation.status === 'up') rt.lastHealthyAt = at;
    const snapshot = {
      _id: new Types.ObjectId(),
      routeId: route.id,
      at,
      status: evaluation.status,
      score: evaluation.score,
      latencyMs: evaluation.latencyMs,
      lossPct: evaluation.lossPct,
      jitterMs: evaluation.jitterMs,
      sources: evaluation.sources,
      confidence: evaluation.confidence,
      taxonomy: evaluation.taxonomy,
      lastHealthyAt: rt.lastHealthyAt,
    };
    this.deps.snapshots.add(snapshot);
    this.deps.series.add(snapshot);
    this.deps.board.set({
      routeId: route.id,
      at: at.toISOString(),
      status: evaluation.status,
      score: evaluation.score,
      latencyMs: evaluation.latencyMs,
      lossPct: evaluation.lossPct,
      jitterMs: evaluation.jitterMs,
      lastHealthyAt: rt.lastHealthyAt?.toISOString(),
      taxonomy: evaluation.taxonomy,
    });
    const transitions = observe(rt.debounce, { status: evaluation.status, at, cause, hard }, route.debounce);
    for (const t of transitions) {
      // The down streak's first failure is still in the debounce state (it clears on the next up).
      if (t.kind === 'down') detectionLatency.observe((t.at.getTime() - (rt.debounce.firstFailureAt ?? t.at.getTime())) / 1000);
      this.deps.transitions.add({
        _id: `${route.id}:${t.at.getTime()}:${t.kind}`,
        routeId: route.id,
        ...t,
        status: evaluation.status,
        score: evaluation.score,
        taxonomy: evaluation.taxonomy,
        detail: evaluation.sources.map((s) => s.detail).filter(Boolean).join('; ') || undefined,
      } as { _id: string });
      this.deps.logger.info({ routeId: route.id, transition: t.kind, from: t.from, to: t.to, cause: t.cause, score: evaluation.score }, 'route health transition');
      void Promise.resolve(this.deps.onTransition?.(route, t, evaluation)).catch((err: unknown) =>
        this.deps.logger.error({ err, routeId: route.id }, 'transition listener failed'),
      );
    }
    return transitions;
  }

  private async consumePendingSignals(): Promise<void> {
    const { PendingSignal } = this.deps.models;
    const pending = await PendingSignal.find({ shard: this.deps.shard }).sort({ receivedAt: 1 }).limit(1000).lean();
    for (const p of pending) {
      // Delete first: a signal is applied by whoever removed it, once.
      const { deletedCount } = await PendingSignal.deleteOne({ _id: p._id });
      if (deletedCount !== 1) continue;
      this.applySignal({
        routeId: p.routeId,
        at: p.at,
        source: 'api',
        status: p.status,
        detail: p.detail ?? undefined,
        taxonomy: p.taxonomy as RouteSignal['taxonomy'],
        latencyMs: p.latencyMs ?? undefined,
        lossPct: p.lossPct ?? undefined,
        jitterMs: p.jitterMs ?? undefined,
      });
    }
  }
}

function unknownMeasurement(spec: IcmpProbeSpec, err: unknown): Measurement {
  return { kind: spec.kind, target: spec.target, at: new Date(), status: 'unknown', detail: `batch probe failed: ${(err as Error).message}`, durationMs: 0 };
}
