import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { BOT, conversationMethods, messageObject, newChannel, type Method, type SimState } from './slack-conversations';
import { attachSocketMode, type SocketEnvelopeRecord, type SocketEnvelopeType } from './slack-socket-mode';
import { until } from './until';

export { slackSignatureHeaders } from './slack-requests';

/**
 * A Slack Web API stand-in on 127.0.0.1 for tests: the methods StateTrace uses, with
 * Slack's response shapes and error codes, every call recorded, and failures (429 with
 * Retry-After, 5xx, any Slack error) injectable per method. Point a WebClient at `url`
 * (`slackApiUrl`). It keeps channels, members, messages and pins so tests can check what a
 * person would see. Also: Socket Mode (apps.connections.open and a WebSocket endpoint that
 * sends envelopes and takes acks; slack-socket-mode.ts) and response_url capture.
 */
export interface SimMessage {
  ts: string;
  channel: string;
  /** The author: the bot's user (with `bot_id`) for what the app posted, else a person. */
  user: string;
  bot_id?: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** Message metadata (chat.postMessage / chat.update `metadata`). */
  metadata?: SimMetadata;
  edited: number;
  edited_ts?: string;
}

export interface SimMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface SimChannel {
  id: string;
  name: string;
  topic: string;
  purpose: string;
  is_archived: boolean;
  is_private: boolean;
  created: number;
  creator: string;
  members: Set<string>;
  pins: Set<string>;
}

export interface SimCall {
  method: string;
  args: Record<string, string | undefined>;
  status: number;
}

/**
 * 429 (refused, with Retry-After), 5xx (refused before the method ran; with `carriedOut`, after
 * it ran, as when Slack's gateway fails on the way back), or a Slack error code.
 */
type Failure = { status: 429; retryAfterSec: number } | { status: 500 | 502 | 503; carriedOut?: boolean } | { error: string };

/** One Web API request as it reached the simulator: when, and the HTTP status it was answered with. */
export interface SimRequest {
  method: string;
  /** Date.now() when it came in. */
  at: number;
  status: number;
  retryAfterSec?: number;
}

/** An uploaded file: what was uploaded, and where it was shared. */
export interface SimFile {
  id: string;
  title?: string;
  bytes: number;
  content?: Buffer;
  channel?: string;
  filename?: string;
  initialComment?: string;
}

export interface SlackSimulator {
  /** The Web API base URL, for WebClient's `slackApiUrl`. */
  url: string;
  /** The same as `url`. */
  apiUrl: string;
  /** The bot token (xoxb-…) every Web API method but apps.connections.open wants. */
  token: string;
  /** The app-level token (xapp-…) apps.connections.open wants. */
  appToken: string;
  calls: SimCall[];
  /** Every Web API request with its arrival time, in order (the same requests as `calls`). */
  requests: SimRequest[];
  channels: Map<string, SimChannel>;
  messages: Map<string, SimMessage>;
  files: Map<string, SimFile>;
  /** What was POSTed to response URLs (Bolt's `respond()`), in order. */
  responses: { id: string; body: unknown }[];
  /** Socket Mode envelopes sent, with their acks. */
  envelopes: SocketEnvelopeRecord[];
  /** The next `times` calls of `method` fail this way. */
  failNext(method: string, failure: Failure, times?: number): void;
  /**
   * A Slack outage: for `forMs` from now, every Web API method fails, taking `failures` in
   * turn (after any failNext of the method). Resolves the window's bounds (Date.now() ms).
   */
  outage(failures: Failure[], forMs: number): { from: number; until: number };
  callsOf(method: string): SimCall[];
  /** A channel made as if by someone else: the bot is a member only if `members` says so. */
  addChannel(o: { name: string; is_private?: boolean; members?: string[] }): SimChannel;
  /** A message a person posted (the simulator's own clock gives its ts). */
  addMessage(o: { channel: string; user: string; text: string; blocks?: unknown[]; thread_ts?: string }): SimMessage;
  /** A new response URL on the simulator (`id` defaults to a fresh one). */
  responseUrl(id?: string): string;
  /** Sends a Socket Mode envelope to the newest connection; resolves with the ack's payload. */
  sendSocketEnvelope(type: SocketEnvelopeType, payload: object, opts?: { timeoutMs?: number }): Promise<unknown>;
  socketConnections(): number;
  /** Slack's `{type: 'disconnect', reason: 'refresh_requested'}` to every connection. */
  disconnectSockets(): void;
  /** Polls `predicate` every 20 ms until it is truthy (and returns it); throws after `timeoutMs`. */
  waitFor<T>(predicate: () => T | Promise<T>, timeoutMs?: number): Promise<NonNullable<T>>;
  close(): Promise<void>;
}

/** How many times the bot posted each notification key (StateTrace puts it in the message metadata: post-once.ts). */
export function postsByKey(sim: Pick<SlackSimulator, 'messages'>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sim.messages.values()) {
    const key = m.bot_id ? m.metadata?.event_payload.key : undefined;
    if (typeof key === 'string') counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const USERS = [
  { id: 'U0ALICE', name: 'alice', real_name: 'Alice Admin', email: 'alice@example.com' },
  { id: 'U0BOB', name: 'bob', real_name: 'Bob Responder', email: 'bob@example.com' },
  { id: 'U0VIV', name: 'viv', real_name: 'Viv Viewer', email: 'viv@example.com' },
];
const USERGROUPS: Record<string, string[]> = { S0NETOPS: ['U0ALICE', 'U0BOB'] };

export async function startSlackSimulator(opts: { token?: string; appToken?: string } = {}): Promise<SlackSimulator> {
  const token = opts.token ?? `xoxb-sim-${randomBytes(6).toString('hex')}`;
  const appToken = opts.appToken ?? 'xapp-1-test';
  const calls: SimCall[] = [];
  const responses: { id: string; body: unknown }[] = [];
  const channels = new Map<string, SimChannel>();
  const messages = new Map<string, SimMessage>();
  const files = new Map<string, SimFile>();
  const failures = new Map<string, Failure[]>();
  const requests: SimRequest[] = [];
  let outage: { failures: Failure[]; until: number; next: number } | undefined;
  const outageFailure = (): Failure | undefined => {
    if (!outage || Date.now() >= outage.until) return undefined;
    return outage.failures[outage.next++ % outage.failures.length];
  };
  let clock = 1_700_000_000_000;
  let counter = 0;
  const nextTs = () => `${Math.floor(++clock / 1000)}.${String(++counter).padStart(6, '0')}`;
  const nextId = (prefix: string) => `${prefix}${(++counter).toString(36).toUpperCase().padStart(8, '0')}`;

  const app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const state: SimState = { channels, messages, userIds: new Set(USERS.map((u) => u.id)), nextTs, nextId };
  const socketMode = attachSocketMode(app.server, { appId: BOT.app });

  const channelOf = (id: unknown) => (typeof id === 'string' ? channels.get(id) : undefined);
  const parseJson = (v: string | undefined) => (v === undefined ? undefined : (JSON.parse(v) as unknown));

  /** Each method: args → the body of an ok response, or a Slack error code (or a whole error body). */
  // The Web API client sends form fields: every argument is a string (JSON for blocks, metadata and files).
  const methods: Record<string, Method> = {
    'auth.test': () => ({ url: 'https://sim.slack.test/', team: 'Sim', user: 'statetrace', team_id: BOT.team, user_id: BOT.user, bot_id: BOT.bot }),
    'apps.connections.open': () => ({ url: socketMode.openUrl() }),
    'chat.postMessage': (a) => {
      const channel = channelOf(a.channel);
      if (!channel || (channel.is_private && !channel.members.has(BOT.user))) return 'channel_not_found';
      if (channel.is_archived) return 'is_archived';
      if (!a.text && !a.blocks) return 'no_text';
      const metadata = parseMetadata(a.metadata);
      if (typeof metadata === 'string') return metadata;
      const msg: SimMessage = { ts: nextTs(), channel: channel.id, user: BOT.user, bot_id: BOT.bot, text: a.text, blocks: parseJson(a.blocks) as unknown[], thread_ts: a.thread_ts, metadata, edited: 0 };
      messages.set(`${channel.id}/${msg.ts}`, msg);
      return { channel: channel.id, ts: msg.ts, message: messageObject(state, msg, true) };
    },
    'chat.postEphemeral': (a) => (channelOf(a.channel) ? { message_ts: nextTs() } : 'channel_not_found'),
    'chat.update': (a) => {
      const msg = messages.get(`${a.channel ?? ''}/${a.ts ?? ''}`);
      if (!msg) return 'message_not_found';
      if (msg.bot_id !== BOT.bot) return 'cant_update_message';
      const metadata = parseMetadata(a.metadata);
      if (typeof metadata === 'string') return metadata;
      msg.text = a.text ?? msg.text;
      msg.blocks = (parseJson(a.blocks) as unknown[]) ?? msg.blocks;
      msg.metadata = metadata ?? msg.metadata;
      msg.edited += 1;
      msg.edited_ts = nextTs();
      return { channel: msg.channel, ts: msg.ts, text: msg.text };
    },
    ...conversationMethods(state),
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
      files.set(id, { id, bytes: 0, filename: a.filename });
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
        file.initialComment = a.initial_comment;
      }
      return { files: list.map((f) => ({ id: f.id, title: f.title })) };
    },
  };

  app.post('/upload/:id', (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const file = files.get(req.params.id);
    if (!file) return reply.code(404).send('not found');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    file.content = uploadedContent(raw, req.headers['content-type']);
    file.bytes = file.content.length;
    return reply.send('OK - ' + file.bytes);
  });

  // Where Bolt's respond() posts: JSON, recorded as it came.
  app.post('/response/:id', (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    let body = req.body;
    if (Buffer.isBuffer(body)) {
      try {
        body = JSON.parse(body.toString()) as unknown;
      } catch {
        return reply.code(400).send({ ok: false, error: 'invalid_payload' });
      }
    }
    responses.push({ id: req.params.id, body });
    return reply.send({ ok: true });
  });

  app.post('/api/:method', (req: FastifyRequest<{ Params: { method: string } }>, reply: FastifyReply) => {
    const { method } = req.params;
    const args = { ...(req.body as Record<string, string | undefined>) };
    const at = Date.now();
    const record = (status: number, retryAfterSec?: number) => {
      calls.push({ method, args, status });
      requests.push({ method, at, status, ...(retryAfterSec === undefined ? {} : { retryAfterSec }) });
    };
    const auth = req.headers.authorization ?? (args.token ? `Bearer ${args.token}` : '');
    const given = /^Bearer (.*)$/.exec(auth)?.[1];
    // apps.connections.open takes the app-level token only; everything else, the bot token.
    const wanted = method === 'apps.connections.open' ? appToken : token;
    if (given !== wanted) {
      record(200);
      const error = !given ? 'not_authed' : given === token || given === appToken ? 'not_allowed_token_type' : 'invalid_auth';
      return reply.send({ ok: false, error });
    }
    const failure = failures.get(method)?.shift() ?? outageFailure();
    if (failure && 'status' in failure) {
      if (failure.status === 429) {
        record(429, failure.retryAfterSec);
        return reply.code(429).header('retry-after', String(failure.retryAfterSec)).send({ ok: false, error: 'ratelimited' });
      }
      record(failure.status);
      if (failure.carriedOut) methods[method]?.(args); // done, but the answer is lost
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
    if (typeof result === 'string') return reply.send({ ok: false, error: result });
    return reply.send(result.ok === false ? result : { ok: true, ...result });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}/`;
  const sim: SlackSimulator = {
    url: `${base}api/`,
    apiUrl: `${base}api/`,
    token,
    appToken,
    calls,
    requests,
    responses,
    envelopes: socketMode.envelopes,
    channels,
    messages,
    files,
    failNext(method, failure, times = 1) {
      failures.set(method, [...(failures.get(method) ?? []), ...Array<Failure>(times).fill(failure)]);
    },
    outage(list, forMs) {
      const from = Date.now();
      outage = { failures: list, until: from + forMs, next: 0 };
      return { from, until: outage.until };
    },
    callsOf: (method) => calls.filter((c) => c.method === method),
    addChannel: (o) => newChannel(state, { ...o, creator: o.members?.[0] ?? 'U0ALICE' }),
    addMessage(o) {
      if (!channels.has(o.channel)) throw new Error(`no channel ${o.channel} in the simulator`);
      const msg: SimMessage = { ts: nextTs(), channel: o.channel, user: o.user, text: o.text, blocks: o.blocks, thread_ts: o.thread_ts, edited: 0 };
      messages.set(`${o.channel}/${msg.ts}`, msg);
      return msg;
    },
    responseUrl: (id = nextId('R')) => `${base}response/${encodeURIComponent(id)}`,
    sendSocketEnvelope: (type, payload, o) => socketMode.send(type, payload, o),
    socketConnections: () => socketMode.connections(),
    disconnectSockets: () => socketMode.disconnectAll('refresh_requested'),
    waitFor: (predicate, timeoutMs = 5_000) =>
      until('the Slack simulator condition', predicate, timeoutMs, {
        everyMs: 20,
        context: () => `last calls: ${calls.slice(-5).map((c) => c.method).join(', ') || 'none'}; responses: ${responses.length}`,
      }),
    async close() {
      await socketMode.close();
      await app.close();
    },
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

/** chat.postMessage's `metadata` argument: `{event_type, event_payload}`, or Slack's error code. */
function parseMetadata(raw: string | undefined): SimMetadata | undefined | string {
  if (raw === undefined || raw === '') return undefined;
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return 'invalid_metadata_format';
  }
  const { event_type, event_payload } = (m ?? {}) as Partial<SimMetadata>;
  if (typeof event_type !== 'string' || !event_type || typeof event_payload !== 'object' || event_payload === null || Array.isArray(event_payload)) {
    return 'invalid_metadata_schema';
  }
  return { event_type, event_payload };
}
