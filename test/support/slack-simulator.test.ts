import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, webApi, type Logger } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import WebSocket from 'ws';
import { blockActionRequest, postSigned, slackPayloads, slashCommandRequest } from './slack-requests';
import { slackSignatureHeaders, startSlackSimulator, type SlackSimulator } from './slack-simulator';

/** The simulator answers Slack's official Web API client the way Slack does. */
let sim: SlackSimulator;
let client: webApi.WebClient;

beforeAll(async () => {
  sim = await startSlackSimulator();
  client = new webApi.WebClient(sim.token, { slackApiUrl: sim.url, retryConfig: { retries: 3, factor: 1, minTimeout: 10, maxTimeout: 50 } });
});
afterAll(() => sim.close());

/** Bolt's and the Socket Mode client's log lines, kept (not printed) to show when a test fails. */
const logs: string[] = [];
const quiet: Logger = {
  debug: () => undefined,
  info: (...m: unknown[]) => void logs.push(`info ${m.map(String).join(' ')}`),
  warn: (...m: unknown[]) => void logs.push(`warn ${m.map(String).join(' ')}`),
  error: (...m: unknown[]) => void logs.push(`error ${m.map(String).join(' ')}`),
  setLevel: () => undefined,
  getLevel: () => LogLevel.INFO,
  setName: () => undefined,
};
const command = (text: string, responseUrl = sim.responseUrl()) =>
  slackPayloads.slashCommandPayload({ command: '/statetrace', text, userId: 'U0ALICE', userName: 'alice', channelId: 'C0OPS', responseUrl });

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
    await expect(client.conversations.invite({ channel: id, users: 'U0VIV,U0BOB' })).rejects.toMatchObject({
      data: { error: 'already_in_channel', errors: [{ user: 'U0BOB', ok: false, error: 'already_in_channel' }] },
    });
    await expect(client.conversations.invite({ channel: id, users: 'U0NOBODY' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    await expect(client.conversations.invite({ channel: id, users: 'U0BOT' })).rejects.toMatchObject({ data: { error: 'cant_invite_self' } });
    await client.conversations.archive({ channel: id });
    await expect(client.conversations.archive({ channel: id })).rejects.toMatchObject({ data: { error: 'already_archived' } });
    const channel = sim.channels.get(id)!;
    expect(channel).toMatchObject({ topic: 'r1 down', purpose: 'incident', is_archived: true });
    expect([...channel.members].sort()).toEqual(['U0ALICE', 'U0BOB', 'U0BOT']); // U0VIV not invited: one bad user fails the call
    await expect(client.chat.postMessage({ channel: id, text: 'late' })).rejects.toMatchObject({ data: { error: 'is_archived' } });
  });

  it('checks channel names as Slack does and makes private channels', async () => {
    for (const [name, error] of [['', 'invalid_name_required'], ['x'.repeat(81), 'invalid_name_maxlength'], ['Inc-1', 'invalid_name_specials'], ['inc#1', 'invalid_name_specials'], ['--', 'invalid_name_punctuation']]) {
      await expect(client.conversations.create({ name: name! })).rejects.toMatchObject({ data: { ok: false, error } });
    }
    const created = await client.conversations.create({ name: 'x'.repeat(80), is_private: true });
    expect(created.channel).toMatchObject({ name: 'x'.repeat(80), is_private: true, is_channel: false, is_group: true, is_member: true });
    expect(sim.channels.get(created.channel!.id!)!.is_private).toBe(true);
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

  it('keeps message metadata and lists a channel’s history newest first, with Slack’s errors', async () => {
    const id = (await client.conversations.create({ name: 'inc-history' })).channel!.id!;
    const metadata = { event_type: 'incident_opened', event_payload: { incident: 'r1-7f3a', severity: 2 } };
    const first = await client.chat.postMessage({ channel: id, text: 'r1 down', metadata });
    expect(first.message).toMatchObject({ type: 'message', user: 'U0BOT', bot_id: 'B0BOT', metadata });
    sim.addMessage({ channel: id, user: 'U0BOB', text: 'looking', thread_ts: first.ts! });
    const said = sim.addMessage({ channel: id, user: 'U0ALICE', text: 'on it' });
    const history = await client.conversations.history({ channel: id, include_all_metadata: true });
    expect(history).toMatchObject({ ok: true, has_more: false, response_metadata: { next_cursor: '' } });
    expect(history.messages).toEqual([
      { type: 'message', ts: said.ts, user: 'U0ALICE', text: 'on it', team: 'T0SIM' },
      expect.objectContaining({ type: 'message', ts: first.ts, user: 'U0BOT', bot_id: 'B0BOT', text: 'r1 down', metadata, reply_count: 1, thread_ts: first.ts }),
    ]);
    expect((await client.conversations.history({ channel: id })).messages![1]).not.toHaveProperty('metadata');
    const page1 = await client.conversations.history({ channel: id, limit: 1 });
    expect(page1).toMatchObject({ has_more: true, messages: [{ ts: said.ts }] });
    const page2 = await client.conversations.history({ channel: id, limit: 1, cursor: page1.response_metadata!.next_cursor! });
    expect(page2).toMatchObject({ has_more: false, messages: [{ ts: first.ts }] });
    await expect(client.chat.postMessage({ channel: id, text: 'x', metadata: { event_type: 'x' } })).rejects.toMatchObject({ data: { error: 'invalid_metadata_schema' } });

    const elsewhere = sim.addChannel({ name: 'general', members: ['U0ALICE'] });
    const secret = sim.addChannel({ name: 'secret', is_private: true, members: ['U0ALICE'] });
    await expect(client.conversations.history({ channel: elsewhere.id })).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    await expect(client.conversations.history({ channel: secret.id })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(client.conversations.history({ channel: 'C0NONE' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
  });

  it('records what is posted to a response URL', async () => {
    const url = sim.responseUrl('cmd-1');
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'done', response_type: 'ephemeral' }) });
    expect(res.status).toBe(200);
    expect(await sim.waitFor(() => sim.responses.find((r) => r.id === 'cmd-1'))).toEqual({ id: 'cmd-1', body: { text: 'done', response_type: 'ephemeral' } });
    expect(sim.responseUrl()).not.toBe(sim.responseUrl());
  });

  it('signs requests the way Slack does (v0 HMAC-SHA256)', () => {
    const body = 'command=%2Fstatetrace&text=status';
    const headers = slackSignatureHeaders(body, 'secret', 1_700_000_000);
    expect(headers['x-slack-signature']).toBe(`v0=${createHmac('sha256', 'secret').update(`v0:1700000000:${body}`).digest('hex')}`);
  });
});

describe('Slack simulator: Socket Mode', () => {
  it('opens a connection for the real SocketModeClient (hello, pongs) and round-trips envelopes to its acks', async () => {
    const opensBefore = sim.callsOf('apps.connections.open').length;
    const smc = new SocketModeClient({ appToken: sim.appToken, clientOptions: { slackApiUrl: sim.apiUrl }, logger: quiet, clientPingTimeout: 600 });
    smc.on('slash_commands', ({ ack, body }: { ack: (r?: object) => Promise<void>; body: { text: string } }) => void ack({ text: `pong ${body.text}` }));
    smc.on('interactive', ({ ack }: { ack: () => Promise<void> }) => void ack());
    try {
      await smc.start();
      expect(sim.socketConnections()).toBe(1);
      expect(await sim.sendSocketEnvelope('slash_commands', command('status r1'))).toEqual({ text: 'pong status r1' });
      const click = slackPayloads.blockActionPayload({ actionId: 'ack', value: 'r1-7f3a', userId: 'U0BOB', channelId: 'C0OPS', messageTs: '1700000000.000100', responseUrl: sim.responseUrl() });
      expect(await sim.sendSocketEnvelope('interactive', click)).toEqual({});
      expect(sim.envelopes.at(-1)).toMatchObject({ acked: true, envelope: { type: 'interactive', accepts_response_payload: true, retry_attempt: 0, retry_reason: '' } });
      // The client pings every 200 ms and drops a connection whose pongs stop; it stays up.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(sim.socketConnections()).toBe(1);
      expect(sim.callsOf('apps.connections.open').slice(opensBefore)).toEqual([{ method: 'apps.connections.open', args: {}, status: 200 }]);
      // Nobody listens for events_api here: no ack, so the envelope times out.
      await expect(sim.sendSocketEnvelope('events_api', { type: 'event_callback', event: { type: 'app_mention' } }, { timeoutMs: 200 })).rejects.toThrow(/no ack/);
    } finally {
      await smc.disconnect();
    }
    await sim.waitFor(() => sim.socketConnections() === 0);
    await expect(sim.sendSocketEnvelope('slash_commands', command('x'))).rejects.toThrow(/no Socket Mode connection/);
  });

  it('refuses a wrong app token or a bot token, and a WebSocket URL without a valid ticket', async () => {
    const stranger = new SocketModeClient({ appToken: 'xapp-1-wrong', clientOptions: { slackApiUrl: sim.apiUrl }, logger: quiet });
    await expect(stranger.start()).rejects.toMatchObject({ data: { ok: false, error: 'invalid_auth' } });
    const botToken = new webApi.WebClient(sim.token, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
    await expect(botToken.apps.connections.open()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
    const forged = new URL(sim.apiUrl.replace(/^http/, 'ws').replace(/api\/$/, 'link/'));
    forged.searchParams.set('ticket', 'nope');
    const refused = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(forged);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode);
        ws.terminate();
      });
      ws.on('error', () => resolve(undefined));
    });
    expect(refused).toBe(401);
    expect(sim.socketConnections()).toBe(0);
  });

  it('tells clients to reconnect (disconnect: refresh_requested) and they come back', async () => {
    const smc = new SocketModeClient({ appToken: sim.appToken, clientOptions: { slackApiUrl: sim.apiUrl }, logger: quiet, clientPingTimeout: 300 });
    try {
      await smc.start();
      const opens = sim.callsOf('apps.connections.open').length;
      // Until the client itself says it is connected again, disconnect() races its reconnect (and rejects).
      const reconnected = new Promise((resolve) => smc.once('connected', resolve));
      sim.disconnectSockets();
      await sim.waitFor(() => sim.callsOf('apps.connections.open').length > opens && sim.socketConnections() === 1);
      await reconnected;
    } finally {
      await smc.disconnect();
    }
    await sim.waitFor(() => sim.socketConnections() === 0);
  });

  it('drives a Bolt app in Socket Mode: a slash command’s ack comes back in the envelope ack, respond() reaches the response URL', async () => {
    const app = new App({ socketMode: true, appToken: sim.appToken, token: sim.token, clientOptions: { slackApiUrl: sim.apiUrl }, logger: quiet });
    app.command('/statetrace', async ({ ack, command: cmd, respond }) => {
      await ack({ response_type: 'ephemeral', text: `pong ${cmd.text}` });
      await respond({ text: `later: ${cmd.user_name}` });
    });
    await app.start();
    try {
      const url = sim.responseUrl('bolt-socket');
      expect(await sim.sendSocketEnvelope('slash_commands', command('status', url))).toEqual({ response_type: 'ephemeral', text: 'pong status' });
      expect((await sim.waitFor(() => sim.responses.find((r) => r.id === 'bolt-socket'))).body).toEqual({ text: 'later: alice' });
    } finally {
      await app.stop();
    }
    await sim.waitFor(() => sim.socketConnections() === 0);
  });
});

describe('Signed Slack requests against a Bolt HTTP app', () => {
  const signingSecret = 'sim-signing-secret';
  let app: App;
  let endpoint: string;
  const clicks: unknown[] = [];

  beforeAll(async () => {
    app = new App({ signingSecret, token: sim.token, clientOptions: { slackApiUrl: sim.apiUrl }, logger: quiet });
    app.command('/statetrace', async ({ ack, command: cmd, respond }) => {
      await ack('pong');
      await respond(`later: ${cmd.text}`);
    });
    app.action('x', async ({ ack, body }) => {
      await ack();
      clicks.push(body);
    });
    const server = (await app.start(0)) as { address(): AddressInfo };
    endpoint = `http://127.0.0.1:${server.address().port}/slack/events`;
  });
  afterAll(() => app.stop());

  const slash = (o: { timestampSec?: number; secret?: string } = {}) =>
    slashCommandRequest({ signingSecret: o.secret ?? signingSecret, command: '/statetrace', text: 'status r1', userId: 'U0ALICE', channelId: 'C0OPS', responseUrl: sim.responseUrl('http-cmd'), timestampSec: o.timestampSec });

  it('a slash command as Slack sends it passes Bolt’s verification and is acked; respond() reaches the simulator', async () => {
    const req = slash();
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect([...new URLSearchParams(req.body).keys()]).toEqual([
      'token', 'team_id', 'team_domain', 'channel_id', 'channel_name', 'user_id', 'user_name', 'command', 'text', 'api_app_id', 'is_enterprise_install', 'response_url', 'trigger_id',
    ]);
    const res = await postSigned(endpoint, req);
    expect(res).toMatchObject({ status: 200, body: 'pong' });
    expect(res.ms).toBeGreaterThan(0);
    expect((await sim.waitFor(() => sim.responses.find((r) => r.id === 'http-cmd'))).body).toEqual({ text: 'later: status r1' });
  });

  it('a button click (block_actions) passes verification and reaches the action listener', async () => {
    const req = blockActionRequest({ signingSecret, actionId: 'x', value: 'r1-7f3a', userId: 'U0BOB', channelId: 'C0OPS', messageTs: '1700000000.000100', responseUrl: sim.responseUrl() });
    expect(await postSigned(endpoint, req)).toMatchObject({ status: 200, body: '' });
    expect(clicks.at(-1)).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB', team_id: 'T0SIM' },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0OPS', is_ephemeral: false },
      actions: [{ action_id: 'x', value: 'r1-7f3a', type: 'button' }],
    });
  });

  it('a forged signature or a six-minute-old timestamp gets 401', async () => {
    expect((await postSigned(endpoint, slash({ secret: 'not-the-secret' }))).status).toBe(401);
    expect((await postSigned(endpoint, slash({ timestampSec: Math.floor(Date.now() / 1000) - 360 }))).status).toBe(401);
  });
});
