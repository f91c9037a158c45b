import type { Client } from '@temporalio/client';
import mongoose from 'mongoose';
import { startSlackBot, type SlackBot } from '../../bot/slack/slack-bot';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { loadRunbooks } from '../../src/runbooks/load-runbooks';
import type { SlackSimulator } from './slack-simulator';

export const SIGNING_SECRET = 'test-signing-secret-7f3a9c0d2b';

/** The environment that points StateTrace's Slack side at the simulator (HTTP mode, any free port). */
export function slackEnv(sim: SlackSimulator, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    SLACK_BOT_TOKEN: sim.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: sim.apiUrl,
    STATETRACE_SLACK_PORT: '0',
    STATETRACE_SLACK_HOST: '127.0.0.1',
    // U0ALICE: admin; S0NETOPS (alice, bob): responders; everyone else (U0VIV): viewer.
    SLACK_ROLES: 'U0ALICE=admin,S0NETOPS=responder',
    SLACK_DEFAULT_ROLE: 'viewer',
    ...extra,
  };
}

/** The Slack bot as `statetrace bot` runs it, on the simulator; `url` is its request URL. */
export async function startTestSlackBot(sim: SlackSimulator, temporal: Client, env: NodeJS.ProcessEnv = {}): Promise<SlackBot & { url: string }> {
  const config = loadConfig(slackEnv(sim, env));
  // No worker prints packets here: `packet` answers that it is on its way after a second.
  const bot = await startSlackBot({ config: config.slack!, taskQueue: config.temporal.taskQueue, workflowIdPrefix: config.temporal.workflowIdPrefix, packetWaitMs: 1000, models, temporal, db: mongoose.connection.db!, runbooks: await loadRunbooks(), logger: createLogger('warn') });
  return { ...bot, url: `http://127.0.0.1:${bot.port ?? 0}/slack/events` };
}
