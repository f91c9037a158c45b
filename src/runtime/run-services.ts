import { Runtime } from '@temporalio/worker';
import type { Config } from '../config';
import { connectDatabase, disconnectDatabase, pingDatabase } from '../db/connect';
import { importRouteFile } from '../directory/import-routes';
import { readRouteFile, RouteFileError } from '../directory/parse-route-file';
import { openStack } from '../embedded/stack';
import { buildHttpServer, type HealthCheck } from '../http/server';
import { createApiAuth } from '../http/auth';
import { registerApiV1 } from '../http/api';
import { registerSignalsApi } from '../http/signals-api';
import { registerWebhooksApi } from '../http/webhooks-api';
import type { Logger } from '../logger';
import { registerMetricsEndpoint } from '../metrics/metrics-endpoint';
import { startMetricsListener } from '../metrics/metrics-listener';
import { registry } from '../metrics/registry';
import { models } from '../models';
import { connectTemporalClient, connectTemporalWorker } from '../temporal/connection';
import { temporalSdkLogger } from '../temporal/sdk-logger';
import { Client, type Connection } from '@temporalio/client';
import { startSweeperWithOutages } from '../outage/start-outages';
import { createWorker } from '../worker/create-worker';
import { createPdfRenderer } from '../packets/pdf-renderer';
import { startDigestJob } from '../digest';
import { startRetentionJobs } from '../retention/retention-jobs';
import { createDigestSender } from './digest-sender';
import mongoose from 'mongoose';
import { startDiscordBot } from '../../bot/discord/discord-bot';
import { startSlackBot } from '../../bot/slack/slack-bot';
import { loadRunbooks } from '../runbooks/load-runbooks';

export interface ServiceSelection {
  worker: boolean;
  api: boolean;
  sweeper: boolean;
  /** The Slack and Discord consoles, when configured. */
  bots: boolean;
  /** The process that owns the embedded servers imports the configured route file at boot. */
  owner: boolean;
}

function routeFileProblem(file: string, maxBytes: number): RouteFileError | undefined {
  try {
    readRouteFile(file, maxBytes);
    return undefined;
  } catch (err) {
    if (err instanceof RouteFileError) return err;
    throw err;
  }
}

/** Stop actions run in reverse order of registration, once. */
class Shutdown {
  private readonly actions: { name: string; run: () => Promise<unknown> }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(name: string, run: () => Promise<unknown>): void {
    this.actions.push({ name, run });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, run } of [...this.actions].reverse()) {
        try {
          await run();
        } catch (err) {
          this.logger.error({ err, part: name }, 'error while stopping');
        }
      }
    })();
    return this.stopping;
  }
}

/**
 * Runs the chosen parts until SIGINT/SIGTERM, then stops them and every server this
 * process started. Resolves with the exit code.
 */
export async function runServices(config: Config, logger: Logger, parts: ServiceSelection): Promise<number> {
  // StateTrace handles the signals itself so it can stop its children after the worker.
  Runtime.install({ shutdownSignals: [], logger: temporalSdkLogger(logger) });
  const shutdown = new Shutdown(logger);
  let signalled: (signal: NodeJS.Signals) => void = () => {};
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      logger.warn({ signal }, 'second stop signal: exiting now (servers get their parent-death signal)');
      process.exit(130);
    }
    stopRequested = true;
    signalled(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (parts.owner && config.routesFile) {
      // Refuse a broken route file before starting any server; it is imported once the database is up.
      const problem = routeFileProblem(config.routesFile, config.routesMaxBytes);
      if (problem) {
        logger.error({ problems: problem.problems }, `route file refused, nothing imported:\n${problem.message}`);
        return 1;
      }
    }
    // A stop signal during start-up takes effect once the servers answer, so none is left behind.
    const stack = await openStack(config, logger, { temporal: true, mongo: true }, { reuseRunning: !parts.owner });
    shutdown.add('embedded servers', () => stack.stop());
    if (stopRequested) {
      await shutdown.stop();
      return 130;
    }
    const { temporalAddress, mongoUri } = stack.endpoints as Required<typeof stack.endpoints>;

    await connectDatabase(mongoUri, logger);
    shutdown.add('database', disconnectDatabase);
    const checks: Record<string, HealthCheck> = {
      mongodb: async () => {
        await pingDatabase();
        return { embedded: Boolean(stack.started.ferretdb) };
      },
    };

    if (parts.owner && config.routesFile) {
      const result = await importRouteFile(config.routesFile, {
        models,
        maxBytes: config.routesMaxBytes,
        actor: { platform: 'system', id: 'statetrace-start' },
        logger,
      });
      logger.info({ routes: result.sections.routes }, 'route directory loaded from STATETRACE_ROUTES_FILE');
    }

    let temporalClient: Connection | undefined;
    const temporal = async () => {
      if (!temporalClient) {
        temporalClient = await connectTemporalClient(config.temporal, temporalAddress);
        shutdown.add('temporal client', () => temporalClient!.close());
      }
      return temporalClient;
    };

    if (parts.sweeper) {
      const client = new Client({ connection: await temporal(), namespace: config.temporal.namespace });
      const sweeper = await startSweeperWithOutages({ config, models, client, logger });
      shutdown.add('sweeper', () => sweeper.stop());
      // The recurring jobs on the data the sweeper writes: roll-ups, retention, the daily digest.
      const db = mongoose.connection.db!;
      const retention = await startRetentionJobs({ db, models, logger, rawDays: config.retention.rawDays, rollupDays: config.retention.rollupDays });
      shutdown.add('retention jobs', () => retention.stop());
      if (config.digest.at) {
        const digest = await startDigestJob({ db, models, logger, at: config.digest.at, send: createDigestSender(config, logger) });
        shutdown.add('digest job', () => digest.stop());
      }
      checks.sweeper = () => {
        const stats = sweeper.stats();
        if (stats.snapshots.buffered > 50_000) throw new Error(`${stats.snapshots.buffered} snapshots waiting for the database`);
        return { routes: stats.routes, shards: config.sweeper.ownShards, trapPort: sweeper.trapPort, snapshotsWritten: stats.snapshots.written, snapshotsBuffered: stats.snapshots.buffered, seriesPending: stats.series.pending };
      };
    }

    if (parts.worker) {
      const connection = await connectTemporalWorker(config.temporal, temporalAddress);
      shutdown.add('temporal worker connection', () => connection.close());
      const renderer = createPdfRenderer({ executablePath: config.chromiumPath, user: config.pdfUser, logger });
      shutdown.add('pdf renderer', () => renderer.close());
      const worker = await createWorker({ connection, config, models, logger, renderer });
      const running = worker.run();
      shutdown.add('temporal worker', async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      });
      running.catch((err: unknown) => {
        logger.fatal({ err }, 'temporal worker failed');
        signalled('SIGTERM');
      });
      checks.worker = () => {
        const state = worker.getState();
        if (state !== 'RUNNING') throw new Error(`worker is ${state}`);
        return { state, taskQueue: config.temporal.taskQueue };
      };
    }

    if (parts.bots && config.slack) {
      const slack = await startSlackBot({
        config: config.slack,
        taskQueue: config.temporal.taskQueue,
        workflowIdPrefix: config.temporal.workflowIdPrefix,
        models,
        temporal: new Client({ connection: await temporal(), namespace: config.temporal.namespace }),
        db: mongoose.connection.db!,
        runbooks: await loadRunbooks(),
        runbookBaseUrl: config.runbookBaseUrl,
        logger,
      });
      shutdown.add('slack', () => slack.stop());
      checks.slack = () => ({ mode: config.slack!.socketMode ? 'socket' : 'http', port: slack.port });
    }
    if (parts.bots && config.discord) {
      const discord = await startDiscordBot({
        config: config.discord,
        taskQueue: config.temporal.taskQueue,
        workflowIdPrefix: config.temporal.workflowIdPrefix,
        models,
        temporal: new Client({ connection: await temporal(), namespace: config.temporal.namespace }),
        runbooks: await loadRunbooks(),
        runbookBaseUrl: config.runbookBaseUrl,
        logger,
      });
      shutdown.add('discord', () => discord.stop());
      checks.discord = () => ({ user: discord.user, guild: config.discord!.guildId });
    }
    if (parts.bots && !config.slack && !config.discord) logger.info('no chat console is configured (SLACK_BOT_TOKEN, DISCORD_BOT_TOKEN): alerts go to the console');

    if (parts.api) {
      const client = await temporal();
      checks.temporal = async () => {
        const info = await client.workflowService.getSystemInfo({});
        return { address: temporalAddress, namespace: config.temporal.namespace, serverVersion: info.serverVersion, embedded: Boolean(stack.started.temporal) };
      };
      const http = await buildHttpServer({ logger, checks, bodyLimit: config.api.bodyLimit, addressRateLimitPerMinute: config.api.addressRateLimitPerMinute });
      const auth = createApiAuth(models, { perTokenPerMinute: config.api.rateLimitPerMinute, failuresPerMinute: config.api.authFailuresPerMinute });
      registerSignalsApi(http, { models, tokens: config.signalTokens, shardCount: config.sweeper.shardCount, auth, maxAgeSec: config.signalMaxAgeSec });
      registerWebhooksApi(http, { models, auth, maxAttempts: config.webhooks.maxAttempts, outbound: config.outbound });
      registerApiV1(http, { models, auth, workflows: new Client({ connection: client, namespace: config.temporal.namespace }).workflow, taskQueue: config.temporal.taskQueue, workflowIdPrefix: config.temporal.workflowIdPrefix, runbooks: await loadRunbooks(), logger });
      registerMetricsEndpoint(http, { registry, models, token: config.metrics.token });
      await http.listen({ host: config.http.host, port: config.http.port });
      shutdown.add('http server', () => http.close());
      logger.info(
        { healthz: `http://${config.http.host}:${(http.server.address() as { port: number }).port}/healthz`, temporalUi: stack.started.temporal?.uiUrl },
        'StateTrace is up',
      );
    }

    if (!parts.api && config.metrics.port > 0) {
      const metrics = await startMetricsListener({ host: config.http.host, port: config.metrics.port, registry, token: config.metrics.token, logger });
      shutdown.add('metrics listener', () => metrics.close());
      logger.info({ metrics: `http://${config.http.host}:${metrics.port}/metrics` }, 'metrics listener up');
    }

    const signal = await stopSignal;
    logger.info({ signal }, 'stopping');
    await shutdown.stop();
    logger.info('stopped: every server this process started has exited');
    return 0;
  } catch (err) {
    logger.fatal({ err }, 'StateTrace could not start');
    await shutdown.stop();
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
