import type { MongoBackend as MongoBackendClass } from '@agendajs/mongo-backend' with { 'resolution-mode': 'import' };
import type { Agenda as AgendaClass } from 'agenda' with { 'resolution-mode': 'import' };
import type { Db } from 'mongodb';
import type { Types } from 'mongoose';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Models } from '../models';
import type { SeriesSample } from '../series/minute-stats';
import { RecentSampleWriter } from '../series/recent-sample-writer';
import { SeriesWriter, type SeriesWriterStats } from '../series/series-writer';
import { StatusBoardWriter } from '../status/status-board';
import { startTrapReceiver } from '../signals/trap-receiver';
import { BatchWriter, type BatchWriterStats } from './batch-writer';
import { ShardSweeper, type ProbeRunner, type TransitionListener } from './shard-sweeper';
import { LocalSweepFallback, type LocalSweepStats } from './local-sweep-fallback';
import { shardOf } from './shard';
import { trapKey } from './sweep-routes';

export interface SweeperService {
  shards: ShardSweeper[];
  trapPort?: number;
  stats(): { snapshots: BatchWriterStats; transitions: BatchWriterStats; series: SeriesWriterStats; recentSamples: BatchWriterStats; routes: number; localSweep: LocalSweepStats[] };
  stop(): Promise<void>;
}

const RELOAD_EVERY_MS = 15_000;
/** How long agenda's lock on a job holds (a lock left by a process that died or lost the database expires then). */
const LOCK_LIFETIME_MS = 60_000;

// agenda and its MongoDB backend are ESM-only; Node ≥ 20.19 loads them with require()
// (require(esm)), and jest through its transform (jest.config.js).
/* eslint-disable @typescript-eslint/no-require-imports */
const { Agenda } = require('agenda') as { Agenda: typeof AgendaClass };
const { MongoBackend } = require('@agendajs/mongo-backend') as { MongoBackend: typeof MongoBackendClass };
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The steady-state half of StateTrace: one agenda job per owned shard (`sweep:<n>`, run
 * every tick; agenda's lock keeps two processes from sweeping one shard at once; while the
 * database is away and agenda cannot run it, a local timer does: LocalSweepFallback), a job
 * that reloads the route directory, batched snapshot and transition writers, the per-minute
 * series writer, a status board per shard, and the SNMP trap receiver feeding the same shards.
 */
export async function startSweeper(deps: {
  config: Config;
  models: Models;
  db: Db;
  probes: ProbeRunner;
  logger: Logger;
  onTransition?: TransitionListener;
}): Promise<SweeperService> {
  const { config, models } = deps;
  const logger = deps.logger.child({ component: 'sweeper' });
  const snapshots = new BatchWriter<{ _id: Types.ObjectId }>('snapshots', models.RouteHealthSnapshot, logger);
  const transitions = new BatchWriter<{ _id: string }>('transitions', models.RouteTransition, logger, { maxBatch: 200 });
  const series = new SeriesWriter(models, logger, { flushEveryMs: config.sweeper.seriesFlushMs });
  const recentSamples = new RecentSampleWriter(models, logger);
  // The packet charts' two sources: the minute series, and the last minutes in full.
  const chartSamples = {
    add(sample: SeriesSample) {
      series.add(sample);
      recentSamples.add(sample);
    },
  };
  snapshots.start();
  transitions.start();
  series.start();
  recentSamples.start();

  const boards = config.sweeper.ownShards.map((shard) => new StatusBoardWriter(models, shard, logger));
  for (const board of boards) board.start();
  const shards = config.sweeper.ownShards.map(
    (shard, i) =>
      new ShardSweeper({ shard, shardCount: config.sweeper.shardCount, models, probes: deps.probes, snapshots, transitions, series: chartSamples, board: boards[i]!, onTransition: deps.onTransition, logger }),
  );
  await Promise.all(shards.map((s) => s.reloadRoutes()));
  const byShard = new Map(shards.map((s, i) => [config.sweeper.ownShards[i]!, s]));

  // Traps first: a taken port should stop start-up before any job is scheduled.
  const trapsConfigured = config.traps.communities.length > 0 || config.traps.users.length > 0;
  if (config.traps.port > 0 && !trapsConfigured) logger.warn('SNMP trap receiver off: no community or v3 user is configured (STATETRACE_TRAP_COMMUNITIES, STATETRACE_TRAP_V3_USERS)');
  const traps =
    config.traps.port > 0 && trapsConfigured
      ? await startTrapReceiver({
          port: config.traps.port,
          address: config.traps.address,
          communities: config.traps.communities,
          users: config.traps.users,
          relays: config.traps.relays,
          ratePerSec: config.traps.ratePerSec,
          lookup: (agent, ifIndex) => shards.flatMap((s) => s.routesForTrap(trapKey(agent, ifIndex))),
          onSignal: (signal) => void byShard.get(shardOf(signal.routeId, config.sweeper.shardCount))?.applySignal(signal),
          logger,
        }).catch(async (err: unknown) => {
          await Promise.all([snapshots.stop(), transitions.stop(), series.stop(), recentSamples.stop(), ...boards.map((b) => b.stop())]);
          throw new Error(
            `SNMP trap receiver cannot listen on udp ${config.traps.address}:${config.traps.port} (${(err as Error).message}); set STATETRACE_TRAP_PORT to a free port, or 0 to turn traps off`,
          );
        })
      : undefined;

  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: deps.db, collection: 'agendajobs' }),
    processEvery: config.sweeper.tickMs,
    defaultLockLifetime: LOCK_LIFETIME_MS,
  });
  // Agenda cannot run jobs while the database is away: the shards this process was sweeping
  // go on on a local timer meanwhile (local-sweep-fallback.ts).
  const fallbacks = [...byShard].map(
    ([shard, sweeper]) =>
      new LocalSweepFallback({ shard, tickMs: config.sweeper.tickMs, tick: () => sweeper.tick(), databaseAnswers: () => databaseAnswers(deps.db), standBackAfterMs: LOCK_LIFETIME_MS + 10 * config.sweeper.tickMs, logger }),
  );
  for (const [i, [shard, sweeper]] of [...byShard].entries()) {
    const fallback = fallbacks[i]!;
    agenda.define(
      `sweep:${shard}`,
      async () => {
        fallback.agendaRan();
        await sweeper.tick();
      },
      { concurrency: 1, lockLimit: 1, logging: false },
    );
  }
  agenda.define('sweep:reload-routes', async () => void (await Promise.all(shards.map((s) => s.reloadRoutes()))), { concurrency: 1, logging: false });
  await agenda.start();
  for (const shard of byShard.keys()) await agenda.every(config.sweeper.tickMs, `sweep:${shard}`);
  await agenda.every(RELOAD_EVERY_MS, 'sweep:reload-routes');
  for (const fallback of fallbacks) fallback.start();

  logger.info({ shards: config.sweeper.ownShards, routes: shards.reduce((n, s) => n + s.routeCount, 0), trapPort: traps?.port }, 'sweeper started');
  return {
    shards,
    trapPort: traps?.port,
    stats: () => ({
      snapshots: snapshots.stats(),
      transitions: transitions.stats(),
      series: series.stats(),
      recentSamples: recentSamples.stats(),
      routes: shards.reduce((n, s) => n + s.routeCount, 0),
      localSweep: fallbacks.map((f) => f.stats()),
    }),
    async stop() {
      await traps?.close();
      for (const fallback of fallbacks) fallback.stop();
      await agenda.stop(false);
      await Promise.all(shards.map((s) => s.drain()));
      await Promise.all([snapshots.stop(), transitions.stop(), series.stop(), recentSamples.stop(), ...boards.map((b) => b.stop())]);
    },
  };
}

/** Whether the database answers a ping within a second (a silent one would keep a command waiting for server selection). */
function databaseAnswers(db: Db): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 1000);
    db.command({ ping: 1 }, { timeoutMS: 1000 })
      .then(() => resolve(true), () => resolve(false))
      .finally(() => clearTimeout(timer));
  });
}
