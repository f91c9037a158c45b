import { Types } from 'mongoose';
import type { Logger } from '../logger';
import type { Models } from '../models';
import { RECENT_SAMPLES_KEEP_MS } from '../models/recent-health-sample';
import { BatchWriter } from '../sweeper/batch-writer';
import { RepeatedFailureLog } from '../sweeper/repeated-failure-log';
import type { SeriesSample } from './minute-stats';

type RecentSampleDoc = Pick<SeriesSample, 'routeId' | 'at' | 'status' | 'score' | 'latencyMs' | 'lossPct'> & { _id: Types.ObjectId };

/**
 * Keeps the last RECENT_SAMPLES_KEEP_MS of every snapshot's chart fields in
 * `recenthealthsamples` (see the model for why a copy): added as the sweeper records them,
 * written in batches every second like the snapshots (kept and retried while the database
 * is away), and samples older than the keep time deleted every `pruneEveryMs` (5 min: on the
 * embedded FerretDB a deletion scans the collection, ~2 s at 27,000 samples, 30 routes at 1 s).
 * Several sweepers each prune; the deletions do not conflict.
 */
export class RecentSampleWriter {
  private readonly samples: BatchWriter<RecentSampleDoc>;
  private readonly pruneEveryMs: number;
  private readonly pruneFailures: RepeatedFailureLog;
  private readonly now: () => number;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<void> | undefined;

  constructor(
    private readonly models: Pick<Models, 'RecentHealthSample'>,
    logger: Logger,
    opts: { flushEveryMs?: number; pruneEveryMs?: number; now?: () => number } = {},
  ) {
    this.samples = new BatchWriter('recent samples', models.RecentHealthSample, logger, { flushEveryMs: opts.flushEveryMs ?? 1000 });
    this.pruneEveryMs = opts.pruneEveryMs ?? 5 * 60_000;
    this.pruneFailures = new RepeatedFailureLog(logger);
    this.now = opts.now ?? Date.now;
  }

  add(sample: SeriesSample): void {
    const { routeId, at, status, score, latencyMs, lossPct } = sample;
    this.samples.add({ _id: new Types.ObjectId(), routeId, at, status, score, latencyMs, lossPct });
  }

  start(): void {
    this.samples.start();
    this.pruneTimer ??= setInterval(() => void this.prune(), this.pruneEveryMs);
  }

  flush(): Promise<void> {
    return this.samples.flush();
  }

  /** Deletes the samples older than the keep time; joins a deletion already running. Never rejects (failures are logged). */
  prune(): Promise<void> {
    this.pruning ??= this.deleteOld().finally(() => (this.pruning = undefined));
    return this.pruning;
  }

  /** Stops pruning and writes what is left (tries until `timeoutMs`). */
  async stop(timeoutMs?: number): Promise<void> {
    clearInterval(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.pruning;
    await this.samples.stop(timeoutMs);
  }

  stats() {
    return this.samples.stats();
  }

  private async deleteOld(): Promise<void> {
    try {
      await this.models.RecentHealthSample.deleteMany({ at: { $lt: new Date(this.now() - RECENT_SAMPLES_KEEP_MS) } });
      this.pruneFailures.succeeded();
    } catch (err) {
      this.pruneFailures.failed({ err }, 'could not delete old recent samples; trying again next time');
    }
  }
}
