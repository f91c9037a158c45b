import { ComponentType, MessageType, type APIMessage, type REST } from 'discord.js';
import { createDiscordRest } from '../../../activities/channels/discord/discord-client';
import { createDiscordNotifier } from '../../../activities/channels/discord/discord-notifier';
import type { NotificationChannel } from '../../../activities/notify';
import type { DiscordConfig } from '../../../src/config';
import { models } from '../../../src/models';
import { loadRunbooks, type RunbookLibrary } from '../../../src/runbooks/load-runbooks';
import { startTestDiscordSimulator, testDiscordConfig, TEST_GUILD } from '../../support/discord-bot-rig';
import type { DiscordSimulator, SimChannel } from '../../support/discord-simulator';
import { INCIDENT, logger } from '../slack/slack-notifier-rig';

/**
 * The Discord notifier against the Discord simulator (over HTTP, with the notifier's own
 * REST client) and the test database, seeded as for the Slack notifier (seedDirectory,
 * seedIncident, message from its rig): the test guild's #noc is the team's channel, its
 * Incidents and Archive categories and on-call role are configured. Helpers read what a
 * person would see.
 */

export { INCIDENT, logger, message, seedDirectory, seedIncident } from '../slack/slack-notifier-rig';
export { TEST_GUILD };

export interface Rig {
  sim: DiscordSimulator;
  config: DiscordConfig;
  /** The notifier's own client (no retries, rate limits thrown). */
  rest: REST;
  runbooks: RunbookLibrary;
  notifier: NotificationChannel;
  noc: string;
}

/** A simulator and the notifier as the worker builds it; `env` overrides the Discord configuration (e.g. no archive category). */
export async function startRig(env: NodeJS.ProcessEnv = {}): Promise<Rig> {
  const sim = await startTestDiscordSimulator();
  const config = testDiscordConfig(sim, env);
  const rest = createDiscordRest(config);
  const runbooks = await loadRunbooks();
  return { sim, config, rest, runbooks, notifier: createDiscordNotifier({ rest, models, runbooks, config, logger }), noc: TEST_GUILD.nocChannelId };
}

/** The incident channel as recorded and as Discord has it. */
export async function incidentChannel(sim: DiscordSimulator, incidentId = INCIDENT): Promise<SimChannel> {
  const record = await models.DiscordIncidentChannel.findById(incidentId).lean();
  const channel = record?.channelId ? sim.channels.get(record.channelId) : undefined;
  if (!channel) throw new Error(`no Discord channel recorded for ${incidentId}`);
  return channel;
}

/** The messages people read in a channel, oldest first (without Discord's "pinned a message" notices). */
export const messagesIn = (sim: DiscordSimulator, channelId: string): APIMessage[] => sim.messagesIn(channelId).filter((m) => m.type === MessageType.Default);

/** The message recorded under a post-once key. */
export async function postedUnder(sim: DiscordSimulator, key: string): Promise<APIMessage | undefined> {
  const record = await models.DiscordMessage.findById(key).lean();
  return record?.messageId ? sim.messages.get(record.messageId) : undefined;
}

/** The post-once keys of a channel's messages, oldest first ('?' for a message no record names). */
export async function keysIn(sim: DiscordSimulator, channelId: string): Promise<string[]> {
  const records = await models.DiscordMessage.find({ channelId }).lean();
  return messagesIn(sim, channelId).map((m) => records.find((r) => r.messageId === m.id)?._id ?? '?');
}

/** The custom ids of a message's buttons. */
export const buttons = (m: APIMessage): string[] => (m.components ?? []).flatMap((row) => (row.type === ComponentType.ActionRow ? row.components : [])).flatMap((c) => ('custom_id' in c ? [c.custom_id] : []));

/** Everything a person reads in a message: its content and its embeds. */
export const shown = (m: APIMessage): string => `${m.content}\n${JSON.stringify(m.embeds)}`;

/** Calls to a route so far (answered or failed), e.g. `POST /channels/:channel/messages`. */
export const callCount = (sim: DiscordSimulator, route: string): number => sim.callsTo(route).length;
