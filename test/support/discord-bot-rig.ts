import type { Client } from '@temporalio/client';
import { ChannelType } from 'discord.js';
import { startDiscordBot, type DiscordBot } from '../../bot/discord/discord-bot';
import { loadConfig, type DiscordConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { loadRunbooks } from '../../src/runbooks/load-runbooks';
import { DiscordSimulator, type SimGuildConfig } from './discord-simulator';

/**
 * A guild for StateTrace's Discord tests: alice (admin by user id), bob (responder through
 * the net-ops role), viv (viewer by default); #noc, an Incidents and an Archive category.
 */
export const TEST_GUILD = {
  id: '300000000000000001',
  netopsRoleId: '300000000000000010',
  oncallRoleId: '300000000000000011',
  alice: { id: '300000000000000101', username: 'alice' },
  bob: { id: '300000000000000102', username: 'bob' },
  viv: { id: '300000000000000103', username: 'viv' },
  nocChannelId: '300000000000000201',
  incidentsCategoryId: '300000000000000301',
  archiveCategoryId: '300000000000000302',
} as const;

const guildConfig: SimGuildConfig = {
  id: TEST_GUILD.id,
  name: 'Network on-call',
  roles: [
    { id: TEST_GUILD.netopsRoleId, name: 'net-ops' },
    { id: TEST_GUILD.oncallRoleId, name: 'on-call' },
  ],
  members: [
    { user: TEST_GUILD.alice, roles: [TEST_GUILD.oncallRoleId] },
    { user: TEST_GUILD.bob, roles: [TEST_GUILD.netopsRoleId, TEST_GUILD.oncallRoleId] },
    { user: TEST_GUILD.viv },
  ],
  channels: [
    { id: TEST_GUILD.nocChannelId, name: 'noc', type: ChannelType.GuildText },
    { id: TEST_GUILD.incidentsCategoryId, name: 'Incidents', type: ChannelType.GuildCategory },
    { id: TEST_GUILD.archiveCategoryId, name: 'Incident archive', type: ChannelType.GuildCategory },
  ],
};

export async function startTestDiscordSimulator(opts: ConstructorParameters<typeof DiscordSimulator>[0] = {}): Promise<DiscordSimulator> {
  const sim = new DiscordSimulator({ guilds: [guildConfig], ...opts });
  await sim.start();
  return sim;
}

/** The environment that points StateTrace's Discord side at the simulator. */
export function discordEnv(sim: DiscordSimulator, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    DISCORD_BOT_TOKEN: sim.botToken,
    DISCORD_APPLICATION_ID: sim.applicationId,
    DISCORD_GUILD_ID: TEST_GUILD.id,
    DISCORD_API_URL: sim.apiUrl,
    DISCORD_INCIDENT_CATEGORY_ID: TEST_GUILD.incidentsCategoryId,
    DISCORD_ARCHIVE_CATEGORY_ID: TEST_GUILD.archiveCategoryId,
    DISCORD_ONCALL_ROLE_ID: TEST_GUILD.oncallRoleId,
    DISCORD_ROLES: `${TEST_GUILD.alice.id}=admin,${TEST_GUILD.netopsRoleId}=responder`,
    DISCORD_DEFAULT_ROLE: 'viewer',
    ...extra,
  };
}

export function testDiscordConfig(sim: DiscordSimulator, extra: NodeJS.ProcessEnv = {}): DiscordConfig {
  return loadConfig(discordEnv(sim, extra)).discord!;
}

/** The Discord bot as `statetrace bot` runs it, connected to the simulator's gateway. */
export async function startTestDiscordBot(sim: DiscordSimulator, temporal: Client, taskQueue: string, extra: NodeJS.ProcessEnv = {}): Promise<DiscordBot> {
  const config = loadConfig(discordEnv(sim, extra));
  // No worker prints packets here: `packet` answers that it is on its way after a second.
  return startDiscordBot({ config: config.discord!, taskQueue, workflowIdPrefix: config.temporal.workflowIdPrefix, packetWaitMs: 1000, models, temporal, runbooks: await loadRunbooks(), logger: createLogger('warn') });
}
