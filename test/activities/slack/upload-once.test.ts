import type { WebClient } from '@slack/web-api';
import { createNotifierSlackClient } from '../../../activities/channels/slack/slack-client';
import { SlackBusyError } from '../../../activities/channels/slack/slack-errors';
import { uploadOnce, type UploadOnceInput } from '../../../activities/channels/slack/upload-once';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import { startSlackSimulator, type SlackSimulator } from '../../support/slack-simulator';

/**
 * A file (the incident packet) shared at most once per key across attempts, on the Slack
 * simulator: a refused upload lets the next attempt upload at once; one that may have been
 * carried out (a 5xx) keeps its claim for the claim's patience.
 */
const db = useTestDatabase('slack_upload_once');
let sim: SlackSimulator;
let channel: string;
beforeEach(async () => {
  await db.clear();
  sim = await startSlackSimulator();
  channel = sim.addChannel({ name: 'inc-1' }).id;
});
afterEach(() => sim.close());

const input = (): UploadOnceInput => ({ key: 'inc-1:packet:resolved:slack', incidentId: 'inc-1', channel, filename: 'inc-1.pdf', title: 'Incident packet inc-1', comment: 'Incident packet for inc-1', bytes: Buffer.from('%PDF-1.4 packet') });
/** Each attempt as a worker makes it: its own notifier client (a new one after Retry-After). */
const attempt = (client: WebClient = createNotifierSlackClient({ botToken: sim.token, apiUrl: sim.apiUrl })) => uploadOnce({ client, models }, input());
const shared = () => [...sim.files.values()].filter((f) => f.channel === channel);

it('an upload refused with 429: the next attempt uploads at once, and the file is shared once', async () => {
  sim.failNext('files.getUploadURLExternal', { status: 429, retryAfterSec: 1 });
  await expect(attempt()).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
  expect(shared()).toEqual([]);

  const { fileId, fresh } = await attempt();
  expect(fresh).toBe(true);
  expect(shared().map((f) => f.id)).toEqual([fileId]);
  expect(await attempt()).toEqual({ fileId, fresh: false });
  expect(shared()).toHaveLength(1);
});

it('an upload refused by Slack at completion (channel_not_found): nothing shared, the claim is given up', async () => {
  sim.failNext('files.completeUploadExternal', { error: 'channel_not_found' });
  await expect(attempt()).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
  expect(await models.SlackMessage.exists({ _id: input().key })).toBeNull();
});

it('a 5xx that may have been carried out keeps the claim: a second attempt within the patience waits', async () => {
  sim.failNext('files.completeUploadExternal', { status: 500, carriedOut: true });
  await expect(attempt()).rejects.toMatchObject({ code: 'slack_webapi_http_error' });
  expect(shared()).toHaveLength(1);

  await expect(attempt()).rejects.toBeInstanceOf(SlackBusyError);
  expect(shared()).toHaveLength(1);
});
