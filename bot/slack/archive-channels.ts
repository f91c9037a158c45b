import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/logger';
import type { Models } from '../../src/models';

const BATCH = 50;

/**
 * Archives the incident channels whose time has come (SLACK_ARCHIVE_AFTER_SEC after the
 * incident resolved). Run by agenda; archiving twice is harmless.
 */
export async function archiveDueChannels(deps: { client: webApi.WebClient; models: Pick<Models, 'SlackIncidentChannel'>; logger: Logger }, now = new Date()): Promise<number> {
  const due = await deps.models.SlackIncidentChannel.find({ archiveAt: { $lte: now }, archivedAt: { $exists: false }, channelId: { $exists: true } }).limit(BATCH).lean();
  let archived = 0;
  for (const channel of due) {
    try {
      await deps.client.conversations.archive({ channel: channel.channelId! });
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      if (code !== 'already_archived' && code !== 'channel_not_found') {
        deps.logger.warn({ err, incidentId: channel._id }, 'could not archive the incident channel; will try again');
        continue;
      }
    }
    await deps.models.SlackIncidentChannel.updateOne({ _id: channel._id }, { $set: { archivedAt: new Date() } });
    archived += 1;
  }
  return archived;
}
