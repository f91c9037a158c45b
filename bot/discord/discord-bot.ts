import type { Client as TemporalClient } from '@temporalio/client';
import { Client, Events, GatewayIntentBits, REST, Routes } from 'discord.js';
import { once } from 'node:events';
import type { DiscordConfig } from '../../src/config';
import type { Logger } from '../../src/logger';
import type { Models } from '../../src/models';
import type { RunbookLibrary } from '../../src/runbooks/load-runbooks';
import { createCommandCore } from '../core/command-core';
import { createInteractionHandler } from './interactions';
import { statetraceCommand } from './slash-command';

const READY_TIMEOUT_MS = 30_000;

export interface DiscordBot {
  /** The bot user's tag once connected. */
  user: string;
  stop(): Promise<void>;
}

/** The Discord console: a gateway client whose interactions go to the command core. */
export async function startDiscordBot(deps: { config: DiscordConfig; taskQueue: string; workflowIdPrefix: string; packetWaitMs?: number; models: Models; temporal: TemporalClient; runbooks: RunbookLibrary; runbookBaseUrl?: string; logger: Logger }): Promise<DiscordBot> {
  const logger = deps.logger.child({ component: 'discord' });
  const core = createCommandCore({ models: deps.models, workflows: deps.temporal.workflow, taskQueue: deps.taskQueue, workflowIdPrefix: deps.workflowIdPrefix, packetWaitMs: deps.packetWaitMs, runbooks: deps.runbooks, runbookBaseUrl: deps.runbookBaseUrl, logger });
  // Guilds is the only intent needed: interactions arrive whatever the intents.
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: deps.config.apiUrl } });
  const handle = createInteractionHandler({ config: deps.config, core, models: deps.models, runbooks: deps.runbooks, runbookBaseUrl: deps.runbookBaseUrl, logger });
  client.on(Events.InteractionCreate, (interaction) => void handle(interaction));
  client.on(Events.Error, (err) => logger.error({ err }, 'Discord client error'));
  const ready = once(client, Events.ClientReady, { signal: AbortSignal.timeout(READY_TIMEOUT_MS) });
  try {
    await client.login(deps.config.botToken);
    await ready;
  } catch (err) {
    await client.destroy();
    throw new Error(`Discord: could not connect (${(err as Error).message}); check DISCORD_BOT_TOKEN and DISCORD_API_URL`);
  }
  const user = client.user?.tag ?? 'unknown';
  logger.info({ user, guild: deps.config.guildId }, 'Discord bot is connected');
  return { user, stop: () => client.destroy() };
}

/** Registers `/statetrace` in the configured guild (bulk overwrite: re-running it is safe). */
export async function registerDiscordCommands(config: DiscordConfig): Promise<{ id: string; name: string }[]> {
  const rest = new REST({ api: config.apiUrl }).setToken(config.botToken);
  return (await rest.put(Routes.applicationGuildCommands(config.applicationId, config.guildId), { body: [statetraceCommand()] })) as { id: string; name: string }[];
}
