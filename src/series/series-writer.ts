import type { Logger } from '../logger';
import { HOUR_MS, MINUTE_MS, seriesId, type MinuteStats } from '../models/route-health-series';
import type { Models } from '../models';
import { PeriodicFlush } from '../sweeper/periodic-flush';
import { RepeatedFailureLog } from '../sweeper/repeated-failure-log';
import { addSample, emptyMinute, mergeMinute, seriesUpdate, type SeriesSample } from './minute-stats';

interface PendingHour {
  routeId: string;
  hour: Date;
  minutes: Map<number, MinuteStats>;
}

export interface SeriesWriterStats {
  /** Series documents updated. */
  writes: number;
  failedWrites: number;
  /** Documents with sums waiting to be written. */
  pending: number;
  lastError?: string;
}

/** Writes at a time: FerretDB serialises writes anyway; a few keep the round trips overlapped. */
const CONCURRENCY = 4;

/**
 * Sums snapshots into per-minute stats (RouteHealthSeries) in memory and adds them to the
 * database every `flushEveryMs` with one $inc/$min/$max upsert per route-hour. The update
 * commutes, so two sweepers that hand a shard back and forth, or one before and after a
 * restart, add up to the same minute (on the embedded FerretDB, whose updates are not
 * atomic, two flushes of one document at the same instant can lose one of them; a process
 * writes each document once per flush). A failed write keeps its sums for the next flush.
 * What a crash loses is at most the last flush interval of the series; the raw snapshots
 * (written by their own BatchWriter) are complete.
 *
 * One update per route and interval, not per snapshot: FerretDB rewrites the whole hour
 * document on every update (~8 ms when full), so per-second updates would not keep up with
 * many routes; every 30 s it is ~0.3 ms of database time per route per second.
 */
export class SeriesWriter {
  private pending = new Map<string, PendingHour>();
  private readonly flusher: PeriodicFlush;
  private readonly failures: RepeatedFailureLog;
  private readonly stats_ = { writes: 0, failedWrites: 0, lastError: undefined as string | undefined };

  constructor(
    private readonly models: Pick<Models, 'RouteHealthSeries'>,
    private readonly logger: Logger,
    opts: { flushEveryMs?: number } = {},
  ) {
    this.flusher = new PeriodicFlush(() => this.writeAll(), opts.flushEveryMs ?? 30_000);
    this.failures = new RepeatedFailureLog(logger);
  }

  add(sample: SeriesSample): void {
    const at = sample.at.getTime();
    if (!Number.isFinite(at)) return;
    const id = seriesId(sample.routeId, at);
    let hour = this.pending.get(id);
    if (!hour) {
      hour = { routeId: sample.routeId, hour: new Date(Math.floor(at / HOUR_MS) * HOUR_MS), minutes: new Map() };
      this.pending.set(id, hour);
    }
    const minute = Math.floor((at % HOUR_MS) / MINUTE_MS);
    let stats = hour.minutes.get(minute);
    if (!stats) hour.minutes.set(minute, (stats = emptyMinute()));
    addSample(stats, sample);
  }

  start(): void {
    this.flusher.start();
  }

  /** Writes every pending sum (one flush at a time). */
  flush(): Promise<void> {
    return this.flusher.flush();
  }

  /** Stops the timer and writes what is left (tries until `timeoutMs`). */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!(await this.flusher.stop(() => this.pending.size === 0, timeoutMs))) this.logger.error({ unwritten: this.pending.size }, 'series writer stopped with sums not written');
  }

  stats(): SeriesWriterStats {
    return { writes: this.stats_.writes, failedWrites: this.stats_.failedWrites, pending: this.pending.size, ...(this.stats_.lastError ? { lastError: this.stats_.lastError } : {}) };
  }

  private async writeAll(): Promise<void> {
    const batch = [...this.pending];
    this.pending = new Map();
    let next = 0;
    let failed = 0;
    const worker = async () => {
      while (next < batch.length) {
        const [id, hour] = batch[next++]!;
        try {
          await this.models.RouteHealthSeries.collection.updateOne({ _id: id as never }, seriesUpdate(hour.routeId, hour.hour, hour.minutes), { upsert: true });
          this.stats_.writes += 1;
        } catch (err) {
          // Kept and added again next time. A write that succeeded but whose reply was lost
          // would count twice: acceptable for chart sums, never for the raw snapshots.
          failed += 1;
          this.stats_.failedWrites += 1;
          this.stats_.lastError = (err as Error).message;
          this.keep(id, hour);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batch.length) }, worker));
    if (failed > 0) this.failures.failed({ failed, err: this.stats_.lastError }, 'series writes failed; kept for the next flush');
    else this.failures.succeeded();
  }

  /** Puts an unwritten hour back, merged with what arrived meanwhile. */
  private keep(id: string, hour: PendingHour): void {
    const current = this.pending.get(id);
    if (!current) return void this.pending.set(id, hour);
    for (const [minute, stats] of hour.minutes) {
      const into = current.minutes.get(minute);
      if (into) mergeMinute(into, stats);
      else current.minutes.set(minute, stats);
    }
  }
}
