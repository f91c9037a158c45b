import { createHmac, randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A Slack Web API stand-in on 127.0.0.1 for tests: the methods StateTrace uses, with
 * Slack's response shapes and error codes, every call recorded, and failures (429 with
 * Retry-After, 5xx, any Slack error) injectable per method. Point a WebClient at `url`
 * (`slackApiUrl`). It keeps channels, members, messages and pins so tests can check what a
 * person would see.
 */
export interface SimMessage {
  ts: string;
  channel: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  edited: number;
}

export interface SimChannel {
  id: string;
  name: string;
  topic: string;
  purpose: string;
  is_archived: boolean;
  members: Set<string>;
  pins: Set<string>;
}

export interface SimCall {
  method: string;
  args: Record<string, string | undefined>;
  status: number;
}

type Failure = { status: 429; retryAfterSec: number } | { status: 500 | 502 | 503 } | { error: string };

export interface SlackSimulator {
  url: string;
  token: string;
  calls: SimCall[];
  channels: Map<string, SimChannel>;
  messages: Map<string, SimMessage>;
  files: Map<string, { id: string; title?: string; bytes: number; channel?: string }>;
  /** The next `times` calls of `method` fail this way. */
  failNext(method: string, failure: Failure, times?: number): void;
  callsOf(method: string): SimCall[];
  close(): Promise<void>;
}

const USERS = [
  { id: 'U0ALICE', name: 'alice', real_name: 'Alice Admin', email: 'alice@example.com' },
  { id: 'U0BOB', name: 'bob', real_name: 'Bob Responder', email: 'bob@example.com' },
  { id: 'U0VIV', name: 'viv', real_name: 'Viv Viewer', email: 'viv@example.com' },
];
const USERGROUPS: Record<string, string[]> = { S0NETOPS: ['U0ALICE', 'U0BOB'] };

/** Slack's rule for channel names: lowercase letters, digits, hyphens, underscores; at most 80. */
const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,79}$/;

export async function startSlackSimulator(opts: { token?: string } = {}): Promise<SlackSimulator> {
  const token = opts.token ?? `xoxb-sim-${randomBytes(6).toString('hex')}`;
  const calls: SimCall[] = [];
  const channels = new Map<string, SimChannel>();
  const messages = new Map<string, SimMessage>();
  const files = new Map<string, { id: string; title?: string; bytes: number; channel?: string }>();
  const failures = new Map<string, Failure[]>();
  let clock = 1_700_000_000_000;
  let counter = 0;
  const nextTs = () => `${Math.floor(++clock / 1000)}.${String(++counter).padStart(6, '0')}`;
  const nextId = (prefix: string) => `${prefix}${(++counter).toString(36).toUpperCase().padStart(8, '0')}`;

  const app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const channelOf = (id: unknown) => (typeof id === 'string' ? channels.get(id) : undefined);
  const parseJson = (v: string | undefined) => (v === undefined ? undefined : (JSON.parse(v) as unknown));

  /** Each method: args → the body of an ok response, or a Slack error code. */
  // The Web API client sends form fields: every argument is a string (JSON for blocks and files).
  const methods: Record<string, (a: Record<string, string | undefined>) => Record<string, unknown> | string> = {
    'auth.test': () => ({ url: 'https://sim.slack.test/', team: 'Sim', user: 'statetrace', team_id: 'T0SIM', user_id: 'U0BOT', bot_id: 'B0BOT' }),
    'chat.postMessage': (a) => {
      const channel = channelOf(a.channel);
      if (!channel) return 'channel_not_found';
      if (channel.is_archived) return 'is_archived';
      if (!a.text && !a.blocks) return 'no_text';
      const msg: SimMessage = { ts: nextTs(), channel: channel.id, text: a.text, blocks: parseJson(a.blocks) as unknown[], thread_ts: a.thread_ts, edited: 0 };
      messages.set(`${channel.id}/${msg.ts}`, msg);
      return { channel: channel.id, ts: msg.ts, message: { text: msg.text, blocks: msg.blocks, ts: msg.ts } };
    },
    'chat.postEphemeral': (a) => (channelOf(a.channel) ? { message_ts: nextTs() } : 'channel_not_found'),
    'chat.update': (a) => {
      const msg = messages.get(`${a.channel ?? ''}/${a.ts ?? ''}`);
      if (!msg) return 'message_not_found';
      msg.text = (a.text) ?? msg.text;
      msg.blocks = (parseJson(a.blocks) as unknown[]) ?? msg.blocks;
      msg.edited += 1;
      return { channel: msg.channel, ts: msg.ts, text: msg.text };
    },
    'conversations.create': (a) => {
      const name = a.name ?? '';
      if (!CHANNEL_NAME.test(name)) return name.length > 80 ? 'invalid_name_maxlength' : 'invalid_name_specials';
      if ([...channels.values()].some((c) => c.name === name)) return 'name_taken';
      const channel: SimChannel = { id: nextId('C'), name, topic: '', purpose: '', is_archived: false, members: new Set(['U0BOT']), pins: new Set() };
      channels.set(channel.id, channel);
      return { channel: { id: channel.id, name, is_channel: true, is_private: a.is_private === 'true' } };
    },
    'conversations.info': (a) => {
      const c = channelOf(a.channel);
      return c ? { channel: { id: c.id, name: c.name, is_archived: c.is_archived, topic: { value: c.topic }, purpose: { value: c.purpose } } } : 'channel_not_found';
    },
    'conversations.invite': (a) => {
      const c = channelOf(a.channel);
      if (!c) return 'channel_not_found';
      const users = (a.users ?? '').split(',').filter(Boolean);
      if (users.length === 0) return 'no_user';
      if (users.some((u) => !USERS.some((x) => x.id === u))) return 'user_not_found';
      if (users.every((u) => c.members.has(u))) return 'already_in_channel';
      users.forEach((u) => c.members.add(u));
      return { channel: { id: c.id, name: c.name } };
    },
    'conversations.setTopic': (a) => {
      const c = channelOf(a.channel);
      if (!c) return 'channel_not_found';
      if ((a.topic ?? '').length > 250) return 'too_long';
      c.topic = a.topic ?? '';
      return { channel: { id: c.id, topic: { value: c.topic } } };
    },
    'conversations.setPurpose': (a) => {
      const c = channelOf(a.channel);
      if (!c) return 'channel_not_found';
      c.purpose = a.purpose ?? '';
      return { channel: { id: c.id, purpose: { value: c.purpose } } };
    },
    'conversations.archive': (a) => {
      const c = channelOf(a.channel);
      if (!c) return 'channel_not_found';
      if (c.is_archived) return 'already_archived';
      c.is_archived = true;
      return {};
    },
    'pins.add': (a) => {
      const c = channelOf(a.channel);
      if (!c) return 'channel_not_found';
      if (!messages.has(`${c.id}/${a.timestamp ?? ''}`)) return 'message_not_found';
      if (c.pins.has(a.timestamp ?? '')) return 'already_pinned';
      c.pins.add(a.timestamp ?? '');
      return {};
    },
    'users.info': (a) => {
      const u = USERS.find((x) => x.id === a.user);
      return u ? { user: { id: u.id, name: u.name, real_name: u.real_name, profile: { email: u.email, real_name: u.real_name } } } : 'user_not_found';
    },
    'users.lookupByEmail': (a) => {
      const u = USERS.find((x) => x.email === a.email);
      return u ? { user: { id: u.id, name: u.name, real_name: u.real_name } } : 'users_not_found';
    },
    'usergroups.users.list': (a) => {
      const users = USERGROUPS[a.usergroup ?? ''];
      return users ? { users } : 'no_such_subteam';
    },
    'files.getUploadURLExternal': (a) => {
      const length = Number(a.length);
      if (!a.filename || !Number.isFinite(length) || length <= 0) return 'invalid_arguments';
      const id = nextId('F');
      files.set(id, { id, bytes: 0 });
      return { upload_url: `${sim.url.replace(/api\/$/, '')}upload/${id}`, file_id: id };
    },
    'files.completeUploadExternal': (a) => {
      const list = parseJson(a.files) as { id: string; title?: string }[];
      const channel = a.channel_id ? channelOf(a.channel_id) : undefined;
      if (a.channel_id && !channel) return 'channel_not_found';
      for (const f of list) {
        const file = files.get(f.id);
        if (!file || file.bytes === 0) return 'file_not_found';
        file.title = f.title;
        file.channel = channel?.id;
      }
      return { files: list.map((f) => ({ id: f.id, title: f.title })) };
    },
  };

  app.post('/upload/:id', (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const file = files.get(req.params.id);
    if (!file) return reply.code(404).send('not found');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    file.bytes = uploadedContent(raw, req.headers['content-type']).length;
    return reply.send('OK - ' + file.bytes);
  });

  app.post('/api/:method', (req: FastifyRequest<{ Params: { method: string } }>, reply: FastifyReply) => {
    const { method } = req.params;
    const args = { ...(req.body as Record<string, string | undefined>) };
    const record = (status: number) => calls.push({ method, args, status });
    const auth = req.headers.authorization ?? (args.token ? `Bearer ${args.token}` : '');
    if (auth !== `Bearer ${token}`) {
      record(200);
      return reply.send({ ok: false, error: auth ? 'invalid_auth' : 'not_authed' });
    }
    const failure = failures.get(method)?.shift();
    if (failure && 'status' in failure) {
      record(failure.status);
      if (failure.status === 429) return reply.code(429).header('retry-after', String(failure.retryAfterSec)).send({ ok: false, error: 'ratelimited' });
      return reply.code(failure.status).send('upstream failure');
    }
    if (failure) {
      record(200);
      return reply.send({ ok: false, error: failure.error });
    }
    const handler = methods[method];
    record(200);
    if (!handler) return reply.send({ ok: false, error: 'unknown_method' });
    const result = handler(args);
    return reply.send(typeof result === 'string' ? { ok: false, error: result } : { ok: true, ...result });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const sim: SlackSimulator = {
    url: `http://127.0.0.1:${port}/api/`,
    token,
    calls,
    channels,
    messages,
    files,
    failNext(method, failure, times = 1) {
      failures.set(method, [...(failures.get(method) ?? []), ...Array<Failure>(times).fill(failure)]);
    },
    callsOf: (method) => calls.filter((c) => c.method === method),
    close: () => app.close(),
  };
  return sim;
}

/** The file inside a multipart/form-data upload (or the raw body). */
function uploadedContent(raw: Buffer, contentType: string | undefined): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  if (!boundary) return raw;
  const marker = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const start = raw.indexOf('\r\n\r\n', raw.indexOf(marker)) + 4;
  const end = raw.indexOf(marker, start) - 2; // the CRLF before the next boundary
  return raw.subarray(start, end);
}

/**
 * Slack's request signing (v0): `v0=hex(HMAC-SHA256(secret, "v0:<ts>:<body>"))`, sent as
 * X-Slack-Signature with X-Slack-Request-Timestamp. For tests that post slash commands and
 * interactions to the product as Slack would.
 */
export function slackSignatureHeaders(body: string, signingSecret: string, timestampSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestampSec), 'x-slack-signature': signature };
}
