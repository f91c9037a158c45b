import type { Db } from 'mongodb';
import type { Logger } from '../logger';
import { createAgenda, dailyCron, retryBackoff } from '../jobs/agenda';
import { applyRetention, DEFAULT_RAW_DAYS, DEFAULT_ROLLUP_DAYS } from './apply-retention';
import { rollUp } from './roll-up';
import type { RollupModels } from './rollup-store';

export const ROLLUP_JOB = 'retention:roll-up';
export const RETENTION_JOB = 'retention:apply';

export interface RetentionJobsOptions {
  db: Db;
  models: RollupModels;
  logger: Logger;
  /** Minute past every hour (UTC) the roll-up runs; it also runs once at start-up to catch up. Default 10. */
  rollupMinute?: number;
  /** Time of day (UTC, HH:MM) retention runs. Default 03:30. */
  retentionAt?: string;
  rawDays?: number;
  rollupDays?: number;
  /** How often agenda looks for due jobs. Default one minute. */
  processEvery?: number | string;
  /** How long a run holds agenda's lock (default 1 h: a scan must not lose it); agenda keeps a timer of half of it after each run. */
  lockLifetimeMs?: number;
}

export interface RetentionJobs {
  /** Runs the roll-up (hours, then days) and retention now, through agenda (for tests and operators). */
  runNow(job: typeof ROLLUP_JOB | typeof RETENTION_JOB): Promise<void>;
  stop(): Promise<void>;
}

/** A long scan must not lose its lock to another process. */
const LOCK_LIFETIME_MS = 60 * 60_000;

/**
 * Two agenda jobs on the shared agendajobs collection: hourly roll-up of raw snapshots into
 * hourly and daily rollups, and daily retention. Agenda's lock keeps one runner per job
 * across processes; both jobs are idempotent anyway.
 */
export async function startRetentionJobs(opts: RetentionJobsOptions): Promise<RetentionJobs> {
  const logger = opts.logger.child({ component: 'retention' });
  const { models } = opts;
  const minute = opts.rollupMinute ?? 10;
  if (!Number.isInteger(minute) || minute < 0 || minute > 59) throw new Error(`roll-up minute ${minute} is not 0..59`);
  const retentionCron = dailyCron(opts.retentionAt ?? '03:30');
  const agenda = createAgenda(opts.db, logger, { processEvery: opts.processEvery });
  const lock = { concurrency: 1, lockLimit: 1, lockLifetime: opts.lockLifetimeMs ?? LOCK_LIFETIME_MS, backoff: retryBackoff, logging: false };

  agenda.define(
    ROLLUP_JOB,
    async () => {
      const started = Date.now();
      const hours = await rollUp({ models, resolution: 'hour' });
      const days = await rollUp({ models, resolution: 'day' });
      logger.info({ hours, days, ms: Date.now() - started }, 'rolled up route health');
    },
    lock,
  );
  agenda.define(
    RETENTION_JOB,
    async () => {
      const started = Date.now();
      const result = await applyRetention({ models, rawDays: opts.rawDays ?? DEFAULT_RAW_DAYS, rollupDays: opts.rollupDays ?? DEFAULT_ROLLUP_DAYS });
      const log = result.rawKept > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ ...result, ms: Date.now() - started }, result.rawKept > 0 ? 'retention kept expired snapshots that no rollup accounts for' : 'applied retention');
    },
    lock,
  );
  await agenda.start();
  await agenda.every(`${minute} * * * *`, ROLLUP_JOB, undefined, { timezone: 'UTC' });
  await agenda.every(retentionCron, RETENTION_JOB, undefined, { timezone: 'UTC' });
  // Catch up on what closed while nothing ran (idempotent: a twin run finds nothing to do).
  await agenda.now(ROLLUP_JOB);
  logger.info({ rollup: `${minute} * * * *`, retention: retentionCron, rawDays: opts.rawDays ?? DEFAULT_RAW_DAYS, rollupDays: opts.rollupDays ?? DEFAULT_ROLLUP_DAYS }, 'retention jobs scheduled (UTC)');
  return {
    async runNow(job) {
      await agenda.now(job);
    },
    async stop() {
      await agenda.stop(false);
    },
  };
}
