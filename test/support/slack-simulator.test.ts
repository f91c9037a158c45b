import { createHmac } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { slackSignatureHeaders, startSlackSimulator, type SlackSimulator } from './slack-simulator';

/** The simulator answers Slack's official Web API client the way Slack does. */
let sim: SlackSimulator;
let client: webApi.WebClient;

beforeAll(async () => {
  sim = await startSlackSimulator();
  client = new webApi.WebClient(sim.token, { slackApiUrl: sim.url, retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 } });
});
afterAll(() => sim.close());

describe('Slack simulator', () => {
  it('creates a channel, refuses a taken or invalid name with Slack’s codes, sets topic and purpose, invites, archives', async () => {
    const created = await client.conversations.create({ name: 'inc-20261125-r1-7f3a' });
    const id = created.channel!.id!;
    await expect(client.conversations.create({ name: 'inc-20261125-r1-7f3a' })).rejects.toMatchObject({ data: { ok: false, error: 'name_taken' } });
    await expect(client.conversations.create({ name: 'Has Spaces' })).rejects.toMatchObject({ data: { error: 'invalid_name_specials' } });
    await client.conversations.setTopic({ channel: id, topic: 'r1 down' });
    await client.conversations.setPurpose({ channel: id, purpose: 'incident' });
    await client.conversations.invite({ channel: id, users: 'U0ALICE,U0BOB' });
    await expect(client.conversations.invite({ channel: id, users: 'U0ALICE' })).rejects.toMatchObject({ data: { error: 'already_in_channel' } });
    await client.conversations.archive({ channel: id });
    const channel = sim.channels.get(id)!;
    expect(channel).toMatchObject({ topic: 'r1 down', purpose: 'incident', is_archived: true });
    expect([...channel.members].sort()).toEqual(['U0ALICE', 'U0BOB', 'U0BOT']);
    await expect(client.chat.postMessage({ channel: id, text: 'late' })).rejects.toMatchObject({ data: { error: 'is_archived' } });
  });

  it('posts, updates in place and pins messages with blocks', async () => {
    const id = (await client.conversations.create({ name: 'inc-post' })).channel!.id!;
    const posted = await client.chat.postMessage({ channel: id, text: 'r1 down', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*r1* down' } }] });
    await client.chat.update({ channel: id, ts: posted.ts!, text: 'r1 acknowledged', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'ack' } }] });
    await client.pins.add({ channel: id, timestamp: posted.ts! });
    await expect(client.pins.add({ channel: id, timestamp: posted.ts! })).rejects.toMatchObject({ data: { error: 'already_pinned' } });
    const msg = sim.messages.get(`${id}/${posted.ts}`)!;
    expect(msg).toMatchObject({ text: 'r1 acknowledged', edited: 1, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'ack' } }] });
    expect(sim.channels.get(id)!.pins.has(posted.ts!)).toBe(true);
  });

  it('returns 429 with Retry-After and 5xx when told to; the client retries and the message is posted once', async () => {
    const id = (await client.conversations.create({ name: 'inc-retry' })).channel!.id!;
    const before = sim.callsOf('chat.postMessage').length;
    sim.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });
    sim.failNext('chat.postMessage', { status: 503 });
    await client.chat.postMessage({ channel: id, text: 'after a storm' });
    expect(sim.callsOf('chat.postMessage').slice(before).map((c) => c.status)).toEqual([429, 503, 200]);
    expect([...sim.messages.values()].filter((m) => m.channel === id)).toHaveLength(1);
  });

  it('refuses a wrong token', async () => {
    const stranger = new webApi.WebClient('xoxb-wrong', { slackApiUrl: sim.url, retryConfig: { retries: 0 } });
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { ok: false, error: 'invalid_auth' } });
  });

  it('runs the files upload flow (get URL, upload, complete) into a channel', async () => {
    const id = (await client.conversations.create({ name: 'inc-files' })).channel!.id!;
    await client.filesUploadV2({ channel_id: id, file: Buffer.from('%PDF-1.7 packet'), filename: 'packet.pdf', title: 'Incident packet' });
    const file = [...sim.files.values()].find((f) => f.channel === id)!;
    expect(file).toMatchObject({ title: 'Incident packet', channel: id });
    expect(file.bytes).toBe(15);
    expect(sim.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['files.getUploadURLExternal', 'files.completeUploadExternal']));
  });

  it('looks up users and user groups', async () => {
    expect((await client.users.lookupByEmail({ email: 'bob@example.com' })).user!.id).toBe('U0BOB');
    expect((await client.usergroups.users.list({ usergroup: 'S0NETOPS' })).users).toEqual(['U0ALICE', 'U0BOB']);
    await expect(client.users.info({ user: 'U0NOBODY' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
  });

  it('signs requests the way Slack does (v0 HMAC-SHA256)', () => {
    const body = 'command=%2Fstatetrace&text=status';
    const headers = slackSignatureHeaders(body, 'secret', 1_700_000_000);
    expect(headers['x-slack-signature']).toBe(`v0=${createHmac('sha256', 'secret').update(`v0:1700000000:${body}`).digest('hex')}`);
  });
});
