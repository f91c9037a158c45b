import type { Db } from 'mongodb';
import type { Logger } from '../logger';
import type { Models } from '../models';
import { insertOnce } from '../models/insert-once';
import { createAgenda, dailyCron, parseUtcTime, retryBackoff } from '../jobs/agenda';
import { buildDigest, type DigestModels } from './build-digest';
import { renderDigest, type DigestBlock } from './render-digest';

/**
 * Delivers a rendered digest (Slack chat.postMessage to the digest channel, the console, …).
 * Throwing, or answering `{ ok: false }`, is a failure: the day stays unsent and is retried.
 */
export type DigestSender = (text: string, blocks?: DigestBlock[]) => Promise<void | { ok: boolean; error?: string }>;

export type DigestJobModels = DigestModels & Pick<Models, 'DigestRun'>;

export type DigestOutcome = 'sent' | 'already-sent' | 'in-progress';

export const DIGEST_JOB = 'digest:daily';
/** A claim this old without sentAt is from a run that died while sending: it may be taken over. */
export const STALE_CLAIM_MS = 15 * 60_000;
const DAY_MS = 86_400_000;

/** The day whose digest is due at `now`: yesterday once today's HH:MM (UTC) has passed, else the day before. */
export function dueDigestDay(now: Date, at: string): string {
  const { hour, minute } = parseUtcTime(at);
  const todayAt = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour, minute);
  return new Date(now.getTime() - (now.getTime() >= todayAt ? 1 : 2) * DAY_MS).toISOString().slice(0, 10);
}

/** The DigestRun of a day's n-th attempt: the first is keyed `digest:<day>`. */
export const digestRunId = (day: string, attempt: number) => (attempt === 1 ? `digest:${day}` : `digest:${day}:${attempt}`);
const MAX_ATTEMPTS = 50;

/**
 * Builds and sends one day's digest unless it was sent already. Each attempt inserts its
 * DigestRun first as the claim (the unique _id decides between concurrent runs), then
 * records sentAt, or failedAt when sending failed; a later run makes the next attempt after
 * a failed one, or after one claimed STALE_CLAIM_MS ago and never finished (its process died).
 */
export async function sendDigestOnce(opts: { models: DigestJobModels; day: string; send: DigestSender; now?: Date; logger?: Logger }): Promise<DigestOutcome> {
  const { models, day } = opts;
  const now = opts.now ?? new Date();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const _id = digestRunId(day, attempt);
    if (await insertOnce(models.DigestRun, { _id, day, attempt, claimedAt: now })) return deliver(opts, _id, now);
    const run = await models.DigestRun.findById(_id).lean();
    if (run?.sentAt) return 'already-sent';
    if (!run || (!run.failedAt && now.getTime() - run.claimedAt.getTime() < STALE_CLAIM_MS)) return 'in-progress';
    if (!run.failedAt) opts.logger?.warn({ day, attempt, claimedAt: run.claimedAt }, 'a digest attempt never finished (its process stopped?): trying again');
  }
  throw new Error(`the digest of ${day} failed ${MAX_ATTEMPTS} times`);
}

async function deliver(opts: { models: DigestJobModels; day: string; send: DigestSender; logger?: Logger }, _id: string, now: Date): Promise<DigestOutcome> {
  const { models, day } = opts;
  let incidents: number;
  try {
    const data = await buildDigest({ models, day, now });
    incidents = data.incidents.length;
    const { text, blocks } = renderDigest(data);
    const outcome = await opts.send(text, blocks);
    if (outcome && !outcome.ok) throw new Error(`digest not delivered: ${outcome.error ?? 'unknown error'}`);
  } catch (err) {
    await models.DigestRun.updateOne({ _id }, { $set: { failedAt: new Date(), error: String((err as Error).message ?? err).slice(0, 500) } });
    throw err;
  }
  await models.DigestRun.updateOne({ _id }, { $set: { sentAt: new Date(), incidents } });
  opts.logger?.info({ day, incidents }, 'daily digest sent');
  return 'sent';
}

export interface DigestJobOptions {
  db: Db;
  models: DigestJobModels;
  logger: Logger;
  /** Time of day (UTC, HH:MM) the previous day's digest goes out. */
  at: string;
  send: DigestSender;
  processEvery?: number | string;
  /** How long a run holds agenda's lock (default 10 min); agenda keeps a timer of half of it after each run. */
  lockLifetimeMs?: number;
  /** The clock (tests). */
  clock?: () => Date;
}

export interface DigestJob {
  /** Runs the job now through agenda: sends the due digest if it was not sent. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The daily digest as an agenda job at `at` UTC, plus one run at start-up that catches up
 * on a digest missed while nothing ran. Each run sends the due day's digest at most once
 * (sendDigestOnce); a failed send is retried with backoff.
 */
export async function startDigestJob(opts: DigestJobOptions): Promise<DigestJob> {
  const logger = opts.logger.child({ component: 'digest' });
  const cron = dailyCron(opts.at);
  const clock = opts.clock ?? (() => new Date());
  const agenda = createAgenda(opts.db, logger, { processEvery: opts.processEvery });
  agenda.define(
    DIGEST_JOB,
    async () => {
      const now = clock();
      const day = dueDigestDay(now, opts.at);
      const outcome = await sendDigestOnce({ models: opts.models, day, send: opts.send, now, logger });
      if (outcome !== 'sent') logger.debug({ day, outcome }, 'daily digest not sent by this run');
    },
    { concurrency: 1, lockLimit: 1, lockLifetime: opts.lockLifetimeMs ?? 10 * 60_000, backoff: retryBackoff, logging: false },
  );
  await agenda.start();
  await agenda.every(cron, DIGEST_JOB, undefined, { timezone: 'UTC' });
  await agenda.now(DIGEST_JOB);
  logger.info({ at: `${opts.at} UTC`, cron }, 'daily digest scheduled');
  return {
    async runNow() {
      await agenda.now(DIGEST_JOB);
    },
    async stop() {
      await agenda.stop(false);
    },
  };
}
