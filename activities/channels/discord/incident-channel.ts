import { ChannelType, OverwriteType, PermissionFlagsBits, Routes, type APIGuildChannel, type APIOverwrite, type REST } from 'discord.js';
import { alertHeadline } from '../../../bot/core/incident-presentation';
import type { IncidentView } from '../../../bot/core/incident-view';
import type { DiscordConfig } from '../../../src/config';
import type { Models } from '../../../src/models';
import { insertOnce } from '../../../src/models/insert-once';
import { DiscordBusyError } from './discord-errors';
import { claimIsFresh } from '../claim';

/** How long a claim without a channel is left to the attempt that made it. */
const MAX_NAME = 100;
const MAX_TOPIC = 1024;

const { ViewChannel, SendMessages, SendMessagesInThreads, AddReactions, ReadMessageHistory } = PermissionFlagsBits;
/** What the bot and the on-call role may do in an open incident channel. */
const MEMBER_ACCESS = ViewChannel | SendMessages | ReadMessageHistory;
/** What nobody but the bot may do once the incident is resolved. */
const WRITING = SendMessages | SendMessagesInThreads | AddReactions;

export type IncidentChannelConfig = Pick<DiscordConfig, 'guildId' | 'incidentCategoryId' | 'archiveCategoryId' | 'oncallRoleId'>;

export interface IncidentChannelDeps {
  rest: REST;
  models: Pick<Models, 'DiscordIncidentChannel'>;
  config: IncidentChannelConfig;
  botUserId(): Promise<string>;
}

/** `inc-20261122-core-rtr-1-7f3a`: the incident id as Discord keeps a text channel's name (lowercase, [a-z0-9_-], ≤ 100). */
export function incidentChannelName(incidentId: string): string {
  return incidentId.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-|-$/g, '').slice(0, MAX_NAME);
}

/**
 * The incident's own channel, created once: claimed by inserting its record, then created
 * private (in the incident category, seen by the bot and the on-call role only). A claim
 * found without a channel id is settled from the guild's channels first: an attempt that
 * died between creating the channel and recording it left it there; one that is not there
 * and was claimed less than CLAIM_PATIENCE_MS ago may be being created now ("busy",
 * retryable). Resolves the channel id.
 */
export async function openIncidentChannel(deps: IncidentChannelDeps, view: IncidentView): Promise<string> {
  const { models, config } = deps;
  const { incidentId } = view;
  const name = incidentChannelName(incidentId);
  const recorded = await models.DiscordIncidentChannel.findById(incidentId, { channelId: 1 }).lean();
  if (recorded?.channelId) return recorded.channelId;
  const claimed = !recorded && (await insertOnce(models.DiscordIncidentChannel, { _id: incidentId, name, guildId: config.guildId, claimedAt: new Date() }));
  let channelId: string | undefined;
  if (!claimed) {
    const claim = await models.DiscordIncidentChannel.findById(incidentId, { channelId: 1, claimedAt: 1 }).lean();
    channelId = claim?.channelId ?? (await findOwnChannel(deps, name));
    if (!channelId && claim && claimIsFresh(claim.claimedAt)) {
      throw new DiscordBusyError(`the incident channel of ${incidentId} is being set up`);
    }
  }
  channelId ??= await createChannel(deps, view, name).catch(async (err: unknown) => {
    // This attempt no longer creates it: the next one looks it up (a 5xx may have created it) and
    // creates it if it is not there, without waiting out the claim as if someone were creating it.
    await models.DiscordIncidentChannel.updateOne({ _id: incidentId, channelId: { $exists: false } }, { $set: { claimedAt: new Date(0) } }).catch(() => undefined);
    throw err;
  });
  await models.DiscordIncidentChannel.updateOne({ _id: incidentId }, { $set: { channelId } });
  return channelId;
}

async function createChannel(deps: IncidentChannelDeps, view: IncidentView, name: string): Promise<string> {
  const { guildId, incidentCategoryId, oncallRoleId } = deps.config;
  const access = (id: string, type: OverwriteType): APIOverwrite => ({ id, type, allow: String(MEMBER_ACCESS), deny: '0' });
  const channel = (await deps.rest.post(Routes.guildChannels(guildId), {
    body: {
      name,
      type: ChannelType.GuildText,
      topic: alertHeadline(view).slice(0, MAX_TOPIC),
      ...(incidentCategoryId ? { parent_id: incidentCategoryId } : {}),
      permission_overwrites: [
        { id: guildId, type: OverwriteType.Role, allow: '0', deny: String(ViewChannel) }, // @everyone's role id is the guild's
        access(await deps.botUserId(), OverwriteType.Member),
        ...(oncallRoleId ? [access(oncallRoleId, OverwriteType.Role)] : []),
      ],
    },
    reason: `StateTrace incident ${view.incidentId}`,
  })) as APIGuildChannel<ChannelType.GuildText>;
  return channel.id;
}

/** The incident channel an earlier attempt created: the name, in the incident category, with the bot's own overwrite. */
async function findOwnChannel(deps: IncidentChannelDeps, name: string): Promise<string | undefined> {
  const bot = await deps.botUserId();
  const channels = (await deps.rest.get(Routes.guildChannels(deps.config.guildId))) as APIGuildChannel[];
  const match = channels.find(
    (c) =>
      c.type === ChannelType.GuildText &&
      c.name === name &&
      (c.parent_id ?? undefined) === deps.config.incidentCategoryId &&
      (c.permission_overwrites ?? []).some((o) => o.type === OverwriteType.Member && o.id === bot),
  );
  return match?.id;
}

/**
 * Makes a resolved incident's channel read-only: moved to the archive category if there is
 * one, then @everyone (and the on-call role) may no longer write or react; the channel
 * stays private and the bot keeps writing (packets). The overwrites are put after the move,
 * so they hold whatever the category's are. Once per incident.
 */
export async function lockIncidentChannel(deps: IncidentChannelDeps, incidentId: string, channelId: string): Promise<void> {
  const { rest, models, config } = deps;
  if ((await models.DiscordIncidentChannel.findById(incidentId, { lockedAt: 1 }).lean())?.lockedAt) return;
  const reason = `StateTrace incident ${incidentId} resolved`;
  if (config.archiveCategoryId) await rest.patch(Routes.channel(channelId), { body: { parent_id: config.archiveCategoryId }, reason });
  await rest.put(Routes.channelPermission(channelId, config.guildId), { body: { type: OverwriteType.Role, allow: '0', deny: String(ViewChannel | WRITING) }, reason });
  if (config.oncallRoleId) {
    await rest.put(Routes.channelPermission(channelId, config.oncallRoleId), { body: { type: OverwriteType.Role, allow: String(ViewChannel | ReadMessageHistory), deny: String(WRITING) }, reason });
  }
  await models.DiscordIncidentChannel.updateOne({ _id: incidentId }, { $set: { lockedAt: new Date() } });
}
