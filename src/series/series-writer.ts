import { randomBytes } from 'node:crypto';
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
  /** Set once written: the number of the write, stored in the document when it applies. */
  write?: number;
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
 * writes each document once per flush).
 *
 * A write that fails may still have been applied (the database died after committing it,
 * before replying). So each write carries a number that the update stores under the
 * writer's id (`w.<writer>`) and that its filter excludes: a failed write is retried as it
 * was, before anything newer for that document, and a retry of an applied write matches
 * nothing. What a crash of the sweeper loses is at most the last flush interval of the
 * series; the raw snapshots (written by their own BatchWriter) are complete.
 *
 * One update per route and interval, not per snapshot: FerretDB rewrites the whole hour
 * document on every update (~8 ms when full), so per-second updates would not keep up with
 * many routes; every 30 s it is ~0.3 ms of database time per route per second.
 */
export class SeriesWriter {
  private pending = new Map<string, PendingHour>();
  /** Writes that failed, outcome unknown: retried unchanged before newer sums of their document. */
  private readonly unsettled = new Map<string, PendingHour>();
  private readonly writerId = randomBytes(6).toString('hex');
  private lastWrite = 0;
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
    if (!(await this.flusher.stop(() => this.pending.size === 0 && this.unsettled.size === 0, timeoutMs))) this.logger.error({ unwritten: this.pending.size }, 'series writer stopped with sums not written');
  }

  stats(): SeriesWriterStats {
    return { writes: this.stats_.writes, failedWrites: this.stats_.failedWrites, pending: new Set([...this.pending.keys(), ...this.unsettled.keys()]).size, ...(this.stats_.lastError ? { lastError: this.stats_.lastError } : {}) };
  }

  private async writeAll(): Promise<void> {
    const fresh = this.pending;
    this.pending = new Map();
    const ids = [...new Set([...this.unsettled.keys(), ...fresh.keys()])];
    let next = 0;
    let failed = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const retry = this.unsettled.get(id);
        const hour = fresh.get(id);
        if (retry && !(await this.settle(id, retry))) {
          failed += 1;
          if (hour) this.keep(id, hour);
          continue;
        }
        if (!hour) continue;
        hour.write = ++this.lastWrite;
        if (!(await this.settle(id, hour))) failed += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
    if (failed > 0) this.failures.failed({ failed, err: this.stats_.lastError }, 'series writes failed; kept for the next flush');
    else this.failures.succeeded();
  }

  /** Writes `hour` once: true when it is applied (now or by an earlier try), false when unknown. */
  private async settle(id: string, hour: PendingHour): Promise<boolean> {
    const mark = `w.${this.writerId}`;
    try {
      await this.models.RouteHealthSeries.collection.updateOne(
        { _id: id as never, [mark]: { $ne: hour.write } },
        { ...seriesUpdate(hour.routeId, hour.hour, hour.minutes), $set: { [mark]: hour.write } },
        { upsert: true },
      );
      return this.settled(id);
    } catch (err) {
      // A duplicate key is the upsert finding the document with this write already in it,
      // or another writer inserting the document first (then this write is not in it).
      if ((err as { code?: unknown }).code === 11000 && (await this.isApplied(id, mark, hour.write!))) return this.settled(id);
      this.stats_.failedWrites += 1;
      this.stats_.lastError = (err as Error).message;
      this.unsettled.set(id, hour);
      return false;
    }
  }

  private settled(id: string): true {
    this.unsettled.delete(id);
    this.stats_.writes += 1;
    return true;
  }

  private async isApplied(id: string, mark: string, write: number): Promise<boolean> {
    return (await this.models.RouteHealthSeries.collection.countDocuments({ _id: id as never, [mark]: write }).catch(() => 0)) > 0;
  }

  /** Puts sums not yet written back, merged with what arrived meanwhile. */
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
