import type { WebClient } from '@slack/web-api';
import type { Models } from '../../../src/models';
import { insertOnce } from '../../../src/models/insert-once';
import { claimIsFresh } from '../claim';
import { SlackBusyError, slackRefused } from './slack-errors';

export interface UploadOnceInput {
  key: string;
  incidentId: string;
  channel: string;
  filename: string;
  title: string;
  comment: string;
  bytes: Buffer;
}

/**
 * Uploads a file to a channel at most once per key (Slack's upload flow: get an upload URL,
 * send the bytes, complete and share), claimed in MongoDB like a post. An attempt that died
 * between the upload and the record leaves a claim older than the patience: the file is
 * uploaded again then (Slack has no upload metadata to search by), at worst a second copy.
 * An upload Slack certainly refused (429, a Slack error) gives its claim up, as a post does.
 */
export async function uploadOnce({ client, models }: { client: WebClient; models: Pick<Models, 'SlackMessage'> }, input: UploadOnceInput): Promise<{ fileId: string; fresh: boolean }> {
  const claimed = await insertOnce(models.SlackMessage, { _id: input.key, incidentId: input.incidentId, channelId: input.channel, role: 'file', incidentChannel: true, claimedAt: new Date() });
  if (!claimed) {
    const record = await models.SlackMessage.findById(input.key).lean();
    if (record?.fileId) return { fileId: record.fileId, fresh: false };
    if (record && claimIsFresh(record.claimedAt)) throw new SlackBusyError(`file ${input.key} is being uploaded by another attempt`);
  }
  let res: unknown;
  try {
    res = await client.files.uploadV2({ channel_id: input.channel, file: input.bytes, filename: input.filename, title: input.title, initial_comment: input.comment });
  } catch (err) {
    // Nothing was shared: the retry after Retry-After uploads at once instead of waiting out CLAIM_PATIENCE_MS.
    if (slackRefused(err)) await models.SlackMessage.deleteOne({ _id: input.key, fileId: { $exists: false } }).catch(() => undefined);
    throw err;
  }
  const fileId = uploadedFileId(res);
  await models.SlackMessage.updateOne({ _id: input.key }, { $set: { fileId } });
  return { fileId, fresh: true };
}

/** files.uploadV2 answers with one completeUploadExternal response per upload: `{ files: [{ files: [{ id }] }] }`. */
function uploadedFileId(res: unknown): string {
  const id = (res as { files?: { files?: { id?: string }[] }[] }).files?.[0]?.files?.[0]?.id;
  if (!id) throw new Error('Slack did not say which file it stored');
  return id;
}
