import { createHash } from 'node:crypto';
import { Routes, type REST, type RESTPostAPIChannelMessageResult } from 'discord.js';
import type { DiscordMessage as RenderedDiscordMessage } from '../../../bot/discord/render/render-discord';
import type { Models } from '../../../src/models';
import { insertOnce } from '../../../src/models/insert-once';
import { discordRefused } from './discord-errors';

/** Discord's longest nonce. */
const NONCE_LENGTH = 25;

export interface PostOnceInput {
  key: string;
  incidentId: string;
  channelId: string;
  role: 'alert' | 'timeline' | 'checklist' | 'resolution';
  incidentChannel: boolean;
  /** role checklist: whose checklist it is (the Done buttons find their message by it). */
  runbookId?: string;
  message: RenderedDiscordMessage;
}

export interface Posted {
  channelId: string;
  messageId: string;
  /** true when this call claimed the key and posted it: it shows what was rendered just now. */
  fresh: boolean;
}

type Deps = { rest: REST; models: Pick<Models, 'DiscordMessage'> };

/** The nonce a key's message is posted with: 25 characters of the key's SHA-256, base64url. */
export function messageNonce(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, NONCE_LENGTH);
}

/**
 * Posts a message at most once per key, across retries and crashes: claim the key, post
 * with a nonce derived from it and enforce_nonce, record the message id. Discord answers a
 * repeated nonce with the message it created for it, so a claim found without a message id
 * (an attempt that died after posting, or one posting right now) is simply posted again.
 * Discord checks nonces over the past few minutes only: a retry later than that after such
 * a crash may post a second copy. A post Discord certainly refused gives its claim up.
 */
export async function postOnce({ rest, models }: Deps, input: PostOnceInput): Promise<Posted> {
  const { key, incidentId, channelId, role, incidentChannel, runbookId } = input;
  const fresh = await insertOnce(models.DiscordMessage, { _id: key, incidentId, channelId, role, incidentChannel, ...(runbookId ? { runbookId } : {}), claimedAt: new Date() });
  if (!fresh) {
    const record = await models.DiscordMessage.findById(key, { channelId: 1, messageId: 1 }).lean();
    if (record?.messageId) return { channelId: record.channelId, messageId: record.messageId, fresh: false };
  }
  let posted: RESTPostAPIChannelMessageResult;
  try {
    posted = (await rest.post(Routes.channelMessages(channelId), { body: { ...input.message, nonce: messageNonce(key), enforce_nonce: true } })) as RESTPostAPIChannelMessageResult;
  } catch (err) {
    // Not posted for certain (429, a refusal): drop the claim, so nothing records a message that never was.
    if (discordRefused(err)) await models.DiscordMessage.deleteOne({ _id: key, messageId: { $exists: false } }).catch(() => undefined);
    throw err;
  }
  await models.DiscordMessage.updateOne({ _id: key }, { $set: { messageId: posted.id, channelId: posted.channel_id } });
  return { channelId: posted.channel_id, messageId: posted.id, fresh };
}
