import type { Logger } from '../logger';
import type { Models } from '../models';
import { PeriodicFlush } from '../sweeper/periodic-flush';
import { RepeatedFailureLog } from '../sweeper/repeated-failure-log';

/** A route's latest scored measurement, as the status APIs and /metrics show it. */
export interface RouteStatusEntry {
  routeId: string;
  /** When it was measured (ISO). */
  at: string;
  status: 'up' | 'degraded' | 'down' | 'unknown';
  score: number;
  latencyMs?: number;
  lossPct?: number;
  jitterMs?: number;
  lastHealthyAt?: string;
  taxonomy: string[];
}

type BoardModels = Pick<Models, 'RouteStatusBoard'>;

// Route ids may contain dots, which MongoDB reads as paths inside `routes`.
const keyOf = (routeId: string) => routeId.replaceAll('%', '%25').replaceAll('.', '%2E');
const boardId = (shard: number) => `shard:${shard}`;

/** Every route's entry from every shard's board (a few documents). */
export async function loadStatusBoard(models: BoardModels): Promise<Map<string, RouteStatusEntry>> {
  const boards = await models.RouteStatusBoard.find({}, { routes: 1 }).lean();
  const out = new Map<string, RouteStatusEntry>();
  for (const board of boards) for (const entry of Object.values((board.routes ?? {}) as Record<string, RouteStatusEntry>)) out.set(entry.routeId, entry);
  return out;
}

/**
 * One shard's board, kept by its sweeper: `set` records a route's latest entry in memory,
 * `flush` (every `flushEveryMs`) writes the routes that changed since the last flush with one
 * `$set` per route key (so two sweepers that hand a shard back and forth each write what
 * they measured), `forget` drops routes that left the shard.
 */
export class StatusBoardWriter {
  private changed = new Map<string, RouteStatusEntry>();
  private removed = new Set<string>();
  private readonly flusher: PeriodicFlush;
  private readonly failures: RepeatedFailureLog;

  constructor(
    private readonly models: BoardModels,
    private readonly shard: number,
    private readonly logger: Logger,
    flushEveryMs = 2000,
  ) {
    this.flusher = new PeriodicFlush(() => this.write(), flushEveryMs);
    this.failures = new RepeatedFailureLog(logger);
  }

  set(entry: RouteStatusEntry): void {
    this.changed.set(entry.routeId, entry);
    this.removed.delete(entry.routeId);
  }

  forget(routeIds: Iterable<string>): void {
    for (const id of routeIds) {
      this.changed.delete(id);
      this.removed.add(id);
    }
  }

  start(): void {
    this.flusher.start();
  }

  async stop(): Promise<void> {
    await this.flusher.stop(() => this.changed.size === 0 && this.removed.size === 0);
  }

  flush(): Promise<void> {
    return this.flusher.flush();
  }

  private async write(): Promise<void> {
    if (this.changed.size === 0 && this.removed.size === 0) return;
    const changed = this.changed;
    const removed = this.removed;
    this.changed = new Map();
    this.removed = new Set();
    const $set: Record<string, unknown> = { shard: this.shard, updatedAt: new Date() };
    // Absent measurements stay absent (the driver would store undefined as null).
    for (const [id, entry] of changed) $set[`routes.${keyOf(id)}`] = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
    const $unset = Object.fromEntries([...removed].map((id) => [`routes.${keyOf(id)}`, '']));
    try {
      await this.models.RouteStatusBoard.collection.updateOne({ _id: boardId(this.shard) as never }, { $set, ...(removed.size ? { $unset } : {}) }, { upsert: true });
      this.failures.succeeded();
    } catch (err) {
      // Kept for the next flush unless newer entries arrived meanwhile.
      for (const [id, entry] of changed) if (!this.changed.has(id)) this.changed.set(id, entry);
      for (const id of removed) if (!this.changed.has(id)) this.removed.add(id);
      this.failures.failed({ err, shard: this.shard }, 'status board write failed; kept for the next flush');
    }
  }
}
