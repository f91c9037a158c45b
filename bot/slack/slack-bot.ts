import type { Client } from '@temporalio/client';
import type { Server } from 'node:http';
import type { Db } from 'mongodb';
import type { SlackConfig } from '../../src/config';
import { createAgenda } from '../../src/jobs/agenda';
import type { Logger } from '../../src/logger';
import type { Models } from '../../src/models';
import type { RunbookLibrary } from '../../src/runbooks/load-runbooks';
import { createCommandCore } from '../core/command-core';
import { createSlackApp } from './app';
import { archiveDueChannels } from './archive-channels';
import { createSlackIdentities } from './identity';

const ARCHIVE_EVERY_MS = 60_000;

export interface SlackBot {
  /** The HTTP port Slack posts to (HTTP mode only). */
  port?: number;
  stop(): Promise<void>;
}

/** The Slack console: the Bolt app over the command core, and the job that archives old incident channels. */
export async function startSlackBot(deps: { config: SlackConfig; taskQueue: string; workflowIdPrefix: string; packetWaitMs?: number; models: Models; temporal: Client; db: Db; runbooks: RunbookLibrary; runbookBaseUrl?: string; logger: Logger }): Promise<SlackBot> {
  const logger = deps.logger.child({ component: 'slack' });
  const core = createCommandCore({ models: deps.models, workflows: deps.temporal.workflow, taskQueue: deps.taskQueue, workflowIdPrefix: deps.workflowIdPrefix, packetWaitMs: deps.packetWaitMs, runbooks: deps.runbooks, runbookBaseUrl: deps.runbookBaseUrl, logger });
  const app = createSlackApp(deps.config, { core, identities: createSlackIdentities(deps.config), models: deps.models, runbooks: deps.runbooks, runbookBaseUrl: deps.runbookBaseUrl, logger });
  const started = deps.config.socketMode ? await app.start() : await app.start({ port: deps.config.http.port, host: deps.config.http.host });
  const port = deps.config.socketMode ? undefined : ((started as Server).address() as { port: number }).port;

  const agenda = createAgenda(deps.db, logger, { processEvery: ARCHIVE_EVERY_MS });
  agenda.define('slack:archive-incident-channels', async () => void (await archiveDueChannels({ client: app.client, models: deps.models, logger })), { concurrency: 1, logging: false });
  await agenda.start();
  await agenda.every(ARCHIVE_EVERY_MS, 'slack:archive-incident-channels');
  logger.info({ mode: deps.config.socketMode ? 'socket' : 'http', port }, 'Slack app is listening');
  return {
    port,
    async stop() {
      await agenda.stop(false);
      await app.stop();
    },
  };
}
