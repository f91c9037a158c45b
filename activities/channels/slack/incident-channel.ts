import type { WebClient } from '@slack/web-api';
import type { Models } from '../../../src/models';
import { insertOnce } from '../../../src/models/insert-once';
import { claimIsFresh } from '../claim';
import { SlackBusyError, slackErrorCode } from './slack-errors';

const MAX_NAME = 80;

export interface IncidentChannelDeps {
  client: WebClient;
  models: Pick<Models, 'SlackIncidentChannel' | 'Incident' | 'RouteRecord' | 'Team'>;
  privateChannels: boolean;
  botUserId(): Promise<string>;
}

/** `inc-20261122-core-rtr-1-7f3a`: the incident id as a Slack channel name (lowercase, [a-z0-9_-], ≤ 80). */
export function incidentChannelName(incidentId: string, attempt = 0): string {
  const suffix = attempt > 0 ? `-${attempt + 1}` : '';
  const slug = incidentId.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/-{2,}/g, '-').replace(/^-|-$/g, '');
  return `${slug.slice(0, MAX_NAME - suffix.length)}${suffix}`;
}

/**
 * The incident's own channel, created once: claimed by inserting its record, then created
 * (a name taken by a channel this bot made earlier for it is reused; one taken by anyone
 * else gets a numbered name), then topic, purpose and the owner teams' on-call invited.
 * Resolves the channel id. Every step can run again safely.
 */
export async function openIncidentChannel(deps: IncidentChannelDeps, incidentId: string): Promise<string> {
  const { models } = deps;
  let record = await models.SlackIncidentChannel.findById(incidentId).lean();
  if (record?.readyAt && record.channelId) return record.channelId;
  if (!record) {
    const claimed = await insertOnce(models.SlackIncidentChannel, { _id: incidentId, name: incidentChannelName(incidentId), claimedAt: new Date() });
    record = await models.SlackIncidentChannel.findById(incidentId).lean();
    if (!claimed && record && !record.readyAt && claimIsFresh(record.claimedAt)) {
      throw new SlackBusyError(`the incident channel of ${incidentId} is being set up`);
    }
  }
  const created = record?.channelId ? { id: record.channelId, name: record.name } : await createChannel(deps, incidentId);
  const channelId = created.id;
  await models.SlackIncidentChannel.updateOne({ _id: incidentId }, { $set: { channelId, name: created.name } });

  const incident = await models.Incident.findById(incidentId, { routes: 1, severity: 1, trigger: 1 }).lean();
  const routes = incident?.routes ?? [];
  const topic = `${incident?.severity ?? ''} ${incident?.trigger ?? 'outage'}: ${routes.slice(0, 5).join(', ')}${routes.length > 5 ? ` +${routes.length - 5}` : ''}`.trim();
  await deps.client.conversations.setTopic({ channel: channelId, topic: topic.slice(0, 250) });
  await deps.client.conversations.setPurpose({ channel: channelId, purpose: `StateTrace incident ${incidentId}. Use /statetrace here: the incident is implied.` });
  await inviteUsers(deps.client, channelId, await onCallOf(deps, routes));
  await models.SlackIncidentChannel.updateOne({ _id: incidentId }, { $set: { readyAt: new Date() } });
  return channelId;
}

async function createChannel(deps: IncidentChannelDeps, incidentId: string): Promise<{ id: string; name: string }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const name = incidentChannelName(incidentId, attempt);
    try {
      const res = await deps.client.conversations.create({ name, is_private: deps.privateChannels });
      return { id: res.channel!.id!, name };
    } catch (err) {
      if (slackErrorCode(err) !== 'name_taken') throw err;
      const ours = await findOwnChannel(deps, name);
      if (ours) return { id: ours, name };
    }
  }
  throw new Error(`no free channel name for ${incidentId}`);
}

/** A channel of that name this bot created (an earlier attempt that died before recording it). */
async function findOwnChannel(deps: IncidentChannelDeps, name: string): Promise<string | undefined> {
  const bot = await deps.botUserId();
  for (let cursor: string | undefined = undefined, page = 0; page < 20; page++) {
    const res = await deps.client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, cursor });
    const match = res.channels?.find((c) => c.name === name && c.creator === bot);
    if (match?.id) return match.id;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

async function onCallOf(deps: IncidentChannelDeps, routeIds: string[]): Promise<string[]> {
  const routes = await deps.models.RouteRecord.find({ _id: { $in: routeIds.slice(0, 200) } }, { owner: 1 }).lean();
  const teams = await deps.models.Team.find({ _id: { $in: [...new Set(routes.map((r) => r.owner.team))] } }, { oncall: 1 }).lean();
  return [...new Set(teams.flatMap((t) => t.oncall.slack))];
}

/** Invites users (Slack user ids) one call per user, so one who is already in or gone does not stop the rest. */
export async function inviteUsers(client: WebClient, channel: string, users: string[]): Promise<void> {
  for (const user of users.filter((u) => /^[UW][A-Z0-9]+$/.test(u))) {
    try {
      await client.conversations.invite({ channel, users: user });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code !== 'already_in_channel' && code !== 'cant_invite_self' && code !== 'user_not_found' && code !== 'user_is_restricted') throw err;
    }
  }
}
