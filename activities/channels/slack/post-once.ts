import type { ChatPostMessageResponse, WebClient } from '@slack/web-api';
import type { Models } from '../../../src/models';
import { insertOnce } from '../../../src/models/insert-once';
import { claimIsFresh } from '../claim';
import type { SlackMessage as RenderedSlackMessage } from '../../../bot/slack/render/render-slack';
import { SlackBusyError, slackRefused } from './slack-errors';

const HISTORY_SEARCH = 100;
const METADATA_EVENT = 'statetrace_message';

export interface PostOnceInput {
  key: string;
  incidentId: string;
  /** A channel id, or a name (`#noc`) that Slack resolves; the record keeps the id. */
  channel: string;
  role: 'alert' | 'timeline' | 'checklist' | 'resolution';
  incidentChannel: boolean;
  message: RenderedSlackMessage;
}

export interface Posted {
  channelId: string;
  ts: string;
  /** true when this call posted it; false when it had been posted before. */
  fresh: boolean;
}

type Deps = { client: WebClient; models: Pick<Models, 'SlackMessage'> };

/**
 * Posts a message at most once per key, across retries and crashes: claim the key, post
 * with the key in the message metadata, record the ts. A claim found without a ts means an
 * earlier attempt died or is still posting: the channel's recent history answers which.
 * A post Slack certainly refused (429, a Slack error) gives its claim up.
 */
export async function postOnce({ client, models }: Deps, input: PostOnceInput): Promise<Posted> {
  const claimed = await insertOnce(models.SlackMessage, {
    _id: input.key,
    incidentId: input.incidentId,
    channelId: input.channel,
    role: input.role,
    incidentChannel: input.incidentChannel,
    claimedAt: new Date(),
  });
  if (!claimed) {
    const record = await models.SlackMessage.findById(input.key).lean();
    if (record?.ts) return { channelId: record.channelId, ts: record.ts, fresh: false };
    const found = await findPosted(client, record?.channelId ?? input.channel, input.key);
    if (found) {
      await models.SlackMessage.updateOne({ _id: input.key }, { $set: { ts: found.ts, channelId: found.channelId } });
      return { ...found, fresh: false };
    }
    if (record && claimIsFresh(record.claimedAt)) throw new SlackBusyError(`message ${input.key} is being posted by another attempt`);
  }
  let res: ChatPostMessageResponse;
  try {
    res = await client.chat.postMessage({
      channel: input.channel,
      text: input.message.text,
      blocks: input.message.blocks,
      unfurl_links: false,
      metadata: { event_type: METADATA_EVENT, event_payload: { key: input.key, incident_id: input.incidentId } },
    });
  } catch (err) {
    // Not posted for certain (429, a refusal): drop the claim, so the retry after Retry-After
    // posts at once instead of waiting out CLAIM_PATIENCE_MS as if another attempt were posting.
    if (slackRefused(err)) await models.SlackMessage.deleteOne({ _id: input.key, ts: { $exists: false } }).catch(() => undefined);
    throw err;
  }
  const posted = { channelId: res.channel ?? input.channel, ts: res.ts! };
  await models.SlackMessage.updateOne({ _id: input.key }, { $set: { ts: posted.ts, channelId: posted.channelId } });
  return { ...posted, fresh: true };
}

async function findPosted(client: WebClient, channel: string, key: string): Promise<{ channelId: string; ts: string } | undefined> {
  if (!/^[CGD][A-Z0-9]+$/.test(channel)) return undefined; // a name: history needs the id, and nothing was recorded
  const history = await client.conversations.history({ channel, limit: HISTORY_SEARCH, include_all_metadata: true });
  const match = history.messages?.find((m) => {
    return m.metadata?.event_type === METADATA_EVENT && payloadKey(m.metadata.event_payload) === key;
  });
  return match?.ts ? { channelId: channel, ts: match.ts } : undefined;
}

/** The SDK types event_payload as {}: it is whatever JSON we posted. */
const payloadKey = (payload: unknown): unknown => (payload as { key?: unknown } | undefined)?.key;
