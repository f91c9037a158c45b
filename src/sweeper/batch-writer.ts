import type { Logger } from '../logger';
import { PeriodicFlush } from './periodic-flush';
import { RepeatedFailureLog } from './repeated-failure-log';

const DUPLICATE_KEY = 11000;

/** The part of a mongoose model the writer uses. */
interface InsertManyTarget {
  insertMany(docs: object[], opts: { ordered: false; lean: true }): Promise<unknown>;
}

export interface BatchWriterStats {
  written: number;
  buffered: number;
  dropped: number;
  failedFlushes: number;
  lastError?: string;
}

/**
 * Buffers documents and writes them in batches (insertMany, unordered). Every document
 * carries its own _id, so a batch retried after an error that hid a partial success only
 * meets duplicate-key errors for what was already written. While the database is away the
 * buffer grows up to `maxBuffered` (oldest dropped beyond that, counted and logged) and is
 * flushed once it answers again.
 */
export class BatchWriter<D extends { _id: unknown }> {
  private buffer: D[] = [];
  private readonly flusher: PeriodicFlush;
  private readonly failures: RepeatedFailureLog;
  private readonly stats_: BatchWriterStats = { written: 0, buffered: 0, dropped: 0, failedFlushes: 0 };

  constructor(
    private readonly name: string,
    private readonly target: InsertManyTarget,
    private readonly logger: Logger,
    private readonly opts: { flushEveryMs?: number; maxBatch?: number; maxBuffered?: number } = {},
  ) {
    this.flusher = new PeriodicFlush(() => this.writeAll(), opts.flushEveryMs ?? 1000);
    this.failures = new RepeatedFailureLog(logger);
  }

  add(doc: D): void {
    this.buffer.push(doc);
    const max = this.opts.maxBuffered ?? 500_000;
    if (this.buffer.length > max) {
      const excess = this.buffer.length - max;
      this.buffer.splice(0, excess);
      this.stats_.dropped += excess;
      this.logger.error({ writer: this.name, dropped: excess }, 'write buffer full: dropped the oldest documents');
    }
    if (this.buffer.length >= (this.opts.maxBatch ?? 1000)) void this.flush();
  }

  start(): void {
    this.flusher.start();
  }

  /** Writes everything buffered so far (one flush at a time). */
  flush(): Promise<void> {
    return this.flusher.flush();
  }

  /** Stops the timer and writes what is left (tries until `timeoutMs`). */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!(await this.flusher.stop(() => this.buffer.length === 0, timeoutMs))) this.logger.error({ writer: this.name, unwritten: this.buffer.length }, 'stopped with documents not written');
  }

  stats(): BatchWriterStats {
    return { ...this.stats_, buffered: this.buffer.length };
  }

  private async writeAll(): Promise<void> {
    const maxBatch = this.opts.maxBatch ?? 1000;
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, maxBatch);
      try {
        await this.target.insertMany(batch, { ordered: false, lean: true });
        this.failures.succeeded();
        this.stats_.written += batch.length;
      } catch (err) {
        const writeErrors = (err as { writeErrors?: { code?: number; err?: { code?: number } }[] }).writeErrors;
        const onlyDuplicates = writeErrors?.length && writeErrors.every((e) => (e.code ?? e.err?.code) === DUPLICATE_KEY);
        if (!onlyDuplicates) {
          this.stats_.failedFlushes += 1;
          this.stats_.lastError = (err as Error).message;
          this.failures.failed({ writer: this.name, err, buffered: this.buffer.length }, 'batch write failed; keeping the documents to retry');
          return;
        }
        this.stats_.written += batch.length - writeErrors.length;
      }
      this.buffer.splice(0, batch.length);
    }
  }
}
