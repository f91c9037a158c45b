import type { Logger } from '../logger';

export interface LocalSweepStats {
  shard: number;
  /** Who ticks the shard now: agenda (normal) or this process's own timer (database away). */
  mode: 'agenda' | 'local';
  /** Ticks made by the local timer, and how often it took over. */
  localTicks: number;
  takeovers: number;
}

export interface LocalSweepFallbackDeps {
  shard: number;
  tickMs: number;
  /** The shard's sweep tick (ShardSweeper.tick: starts the due probes, returns at once). */
  tick(): Promise<unknown>;
  /** Whether the database answers now (bounded in time). */
  databaseAnswers(): Promise<boolean>;
  /** After this long with the database answering but agenda not running the job here, another process has the shard. */
  standBackAfterMs: number;
  logger: Logger;
}

/** Agenda's job counts as overdue after this many ticks without a run here. */
const OVERDUE_TICKS = 5;

/**
 * Keeps one shard swept while agenda cannot run its job. Agenda keeps the `sweep:<n>` job and
 * its lock in the database, so while the database is unreachable no process sweeps at all,
 * and a network outage during a database outage would go unnoticed. The process agenda ran
 * the job on last ("owner") notices the job is overdue and the database silent, and ticks
 * the shard on its own timer: snapshots and transitions wait in their writers' buffers, and
 * transitions still reach Temporal, which does not need the database. When agenda runs the
 * job here again the timer stops. If instead the database answers for `standBackAfterMs`
 * (agenda's lock lifetime and a few ticks) without agenda running the job here, another
 * process has the shard, and this one stands back.
 *
 * HA caveat: ownership is only known from what agenda did before the database went away.
 * Two sweepers configured with the same shards, that both ran the job shortly before, both
 * sweep it during the outage: every route probed twice, two snapshots per interval and each
 * transition signalled twice (harmless to the outage workflow but for a repeated timeline entry). Probing
 * twice is preferred to probing nothing.
 */
export class LocalSweepFallback {
  private readonly overdueMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastAgendaRunAt: number | undefined;
  private owner = false;
  private mode: 'agenda' | 'local' = 'agenda';
  private databaseUp = true;
  private databaseUpSince: number;
  private pinging: Promise<void> | undefined;
  private localTicks = 0;
  private takeovers = 0;

  constructor(private readonly deps: LocalSweepFallbackDeps) {
    this.overdueMs = OVERDUE_TICKS * deps.tickMs;
    this.databaseUpSince = Date.now();
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.deps.tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Agenda ran the shard's job in this process. */
  agendaRan(): void {
    this.lastAgendaRunAt = Date.now();
    this.owner = true;
    if (this.mode === 'local') this.toAgenda('agenda runs the sweep again: local timer stopped');
  }

  stats(): LocalSweepStats {
    return { shard: this.deps.shard, mode: this.mode, localTicks: this.localTicks, takeovers: this.takeovers };
  }

  private check(): void {
    const overdue = () => this.lastAgendaRunAt === undefined || Date.now() - this.lastAgendaRunAt > this.overdueMs;
    if (this.mode === 'agenda') {
      if (!overdue() || !this.owner) return;
      this.ping((up) => {
        if (this.mode !== 'agenda' || !this.owner || !overdue()) return;
        if (up) this.owner = false; // the database works: agenda runs the job elsewhere
        else this.takeOver();
      });
      return;
    }
    this.ping();
    if (this.databaseUp && Date.now() - this.databaseUpSince > this.deps.standBackAfterMs) {
      this.owner = false;
      return this.toAgenda('database answers but agenda runs the sweep elsewhere: local timer stopped');
    }
    this.localTick();
  }

  private takeOver(): void {
    this.mode = 'local';
    this.takeovers += 1;
    this.deps.logger.warn({ shard: this.deps.shard, sinceAgendaRunMs: Date.now() - (this.lastAgendaRunAt ?? 0) }, 'database unreachable and agenda cannot run the sweep: sweeping this shard on a local timer');
    this.localTick();
  }

  private localTick(): void {
    this.localTicks += 1;
    // Through a promise: not even a tick that throws at once may escape the timer.
    void Promise.resolve()
      .then(() => this.deps.tick())
      .catch((err: unknown) => this.deps.logger.error({ err, shard: this.deps.shard }, 'local sweep tick failed'));
  }

  /** Asks the database in the background, one question at a time: a silent database makes it wait, the local ticks must not. */
  private ping(then?: (up: boolean) => void): void {
    this.pinging ??= this.deps
      .databaseAnswers()
      .catch(() => false)
      .then((up) => {
        if (up && !this.databaseUp) this.databaseUpSince = Date.now();
        this.databaseUp = up;
        if (this.timer !== undefined) then?.(up);
      })
      .finally(() => (this.pinging = undefined));
  }

  private toAgenda(why: string): void {
    this.mode = 'agenda';
    this.deps.logger.info({ shard: this.deps.shard, localTicks: this.localTicks }, why);
  }
}
