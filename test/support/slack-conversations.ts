import type { SimChannel, SimMessage } from './slack-simulator';

/**
 * The simulator's conversations.* methods and the channel and message objects as Slack's API
 * shows them. Split from slack-simulator.ts, which routes calls to these handlers.
 */

/** Who the simulator's bot token belongs to. */
export const BOT = { user: 'U0BOT', bot: 'B0BOT', app: 'A0SIM', team: 'T0SIM' } as const;

export type Args = Record<string, string | undefined>;
/** An ok body, a Slack error code, or a full error body (`ok: false` with details). */
export type MethodResult = Record<string, unknown> | string;
export type Method = (a: Args) => MethodResult;

export interface SimState {
  channels: Map<string, SimChannel>;
  messages: Map<string, SimMessage>;
  userIds: ReadonlySet<string>;
  nextTs(): string;
  nextId(prefix: string): string;
}

/** Slack's rules for a channel name: lowercase letters, digits, hyphens, underscores; at most 80. */
export function channelNameError(name: string): string | undefined {
  if (name === '') return 'invalid_name_required';
  if (name.length > 80) return 'invalid_name_maxlength';
  if (!/^[a-z0-9_-]+$/.test(name)) return 'invalid_name_specials';
  if (/^[-_]+$/.test(name)) return 'invalid_name_punctuation';
  return undefined;
}

export function newChannel(state: SimState, o: { name: string; is_private?: boolean; members?: Iterable<string>; creator?: string }): SimChannel {
  const channel: SimChannel = {
    id: state.nextId(o.is_private ? 'G' : 'C'),
    name: o.name,
    topic: '',
    purpose: '',
    is_archived: false,
    is_private: o.is_private ?? false,
    created: Math.floor(Number(state.nextTs())),
    creator: o.creator ?? BOT.user,
    members: new Set(o.members ?? []),
    pins: new Set(),
  };
  state.channels.set(channel.id, channel);
  return channel;
}

/** A conversation object as conversations.create and conversations.info return it. */
export function channelObject(c: SimChannel, withMemberCount = false): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    name_normalized: c.name,
    is_channel: !c.is_private,
    is_group: c.is_private,
    is_im: false,
    is_mpim: false,
    is_private: c.is_private,
    created: c.created,
    creator: c.creator,
    is_archived: c.is_archived,
    is_general: false,
    is_shared: false,
    is_ext_shared: false,
    is_org_shared: false,
    is_member: c.members.has(BOT.user),
    context_team_id: BOT.team,
    topic: { value: c.topic, creator: c.topic ? BOT.user : '', last_set: 0 },
    purpose: { value: c.purpose, creator: c.purpose ? BOT.user : '', last_set: 0 },
    previous_names: [],
    ...(withMemberCount ? { num_members: c.members.size } : {}),
  };
}

/** A message as conversations.history (and chat.postMessage's `message`) shows it. */
export function messageObject(state: SimState, m: SimMessage, withMetadata: boolean): Record<string, unknown> {
  const replies = [...state.messages.values()].filter((r) => r.channel === m.channel && r.thread_ts === m.ts && r.ts !== m.ts);
  return {
    type: 'message',
    ts: m.ts,
    user: m.user,
    ...(m.bot_id ? { bot_id: m.bot_id, app_id: BOT.app } : {}),
    text: m.text ?? '',
    team: BOT.team,
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(replies.length > 0
      ? { thread_ts: m.ts, reply_count: replies.length, reply_users: [...new Set(replies.map((r) => r.user))], latest_reply: replies.at(-1)!.ts }
      : {}),
    ...(m.edited > 0 && m.edited_ts ? { edited: { user: m.user, ts: m.edited_ts } } : {}),
    ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
  };
}

/** Orders Slack timestamps ("1700000000.000123") exactly; as floats they would round. */
export function compareTs(a: string, b: string): number {
  const key = (ts: string) => {
    const [sec = '', frac = ''] = ts.split('.');
    return `${sec.padStart(12, '0')}.${frac.padEnd(6, '0')}`;
  };
  const [x, y] = [key(a), key(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

const encodeCursor = (ts: string) => Buffer.from(`next_ts:${ts}`).toString('base64');
const decodeCursor = (cursor: string) => /^next_ts:(\d+\.\d+)$/.exec(Buffer.from(cursor, 'base64').toString())?.[1];

/** Direct-message channels carry this name prefix in the simulator (real ones have no name). */
const DM_PREFIX = 'im:';
const isDm = (c: SimChannel) => c.name.startsWith(DM_PREFIX);

export function conversationMethods(state: SimState): Record<string, Method> {
  const channelOf = (id: unknown) => (typeof id === 'string' ? state.channels.get(id) : undefined);
  /** A channel the bot can see: a private one it is not in does not exist, for it. */
  const visible = (id: unknown) => {
    const c = channelOf(id);
    return c && (!c.is_private || c.members.has(BOT.user)) ? c : undefined;
  };
  return {
    'conversations.create': (a) => {
      const name = a.name ?? '';
      const invalid = channelNameError(name);
      if (invalid) return invalid;
      if ([...state.channels.values()].some((c) => c.name === name)) return 'name_taken';
      const channel = newChannel(state, { name, is_private: a.is_private === 'true', members: [BOT.user] });
      return { channel: channelObject(channel) };
    },
    'conversations.list': (a) => {
      const types = (a.types ?? 'public_channel').split(',');
      const wanted = (c: SimChannel) => !isDm(c) && types.includes(c.is_private ? 'private_channel' : 'public_channel') && visible(c.id) !== undefined;
      const list = [...state.channels.values()].filter((c) => wanted(c) && !(a.exclude_archived === 'true' && c.is_archived));
      return { channels: list.map((c) => channelObject(c)), response_metadata: { next_cursor: '' } };
    },
    /** A direct message with one user: the same channel each time. */
    'conversations.open': (a) => {
      const user = a.users?.trim() ?? '';
      if (user === '' || user.includes(',')) return user === '' ? 'users_list_not_supplied' : 'not_supported_in_sim';
      if (!state.userIds.has(user)) return 'user_not_found';
      const existing = [...state.channels.values()].find((c) => c.name === `${DM_PREFIX}${user}`);
      const dm = existing ?? newChannel(state, { name: `${DM_PREFIX}${user}`, is_private: true, members: [BOT.user, user] });
      return { channel: { id: dm.id } };
    },
    'conversations.info': (a) => {
      const c = visible(a.channel);
      return c ? { channel: channelObject(c, a.include_num_members === 'true') } : 'channel_not_found';
    },
    'conversations.invite': (a) => {
      const c = visible(a.channel);
      if (!c) return 'channel_not_found';
      if (c.is_archived) return 'is_archived';
      if (!c.members.has(BOT.user)) return 'not_in_channel';
      const users = (a.users ?? '').split(',').map((u) => u.trim()).filter(Boolean);
      if (users.length === 0) return 'no_user';
      const problem = (u: string) =>
        u === BOT.user ? 'cant_invite_self' : !state.userIds.has(u) ? 'user_not_found' : c.members.has(u) ? 'already_in_channel' : undefined;
      const errors = users.flatMap((u) => {
        const error = problem(u);
        return error ? [{ user: u, ok: false, error }] : [];
      });
      // Without `force`, one bad user fails the whole call (and nobody is invited).
      if (errors.length > 0 && (a.force !== 'true' || errors.length === users.length)) return { ok: false, error: errors[0]!.error, errors };
      users.filter((u) => !problem(u)).forEach((u) => c.members.add(u));
      return { channel: channelObject(c), ...(errors.length > 0 ? { errors } : {}) };
    },
    'conversations.setTopic': (a) => {
      const c = visible(a.channel);
      if (!c) return 'channel_not_found';
      if (c.is_archived) return 'is_archived';
      if ((a.topic ?? '').length > 250) return 'too_long';
      c.topic = a.topic ?? '';
      return { channel: channelObject(c) };
    },
    'conversations.setPurpose': (a) => {
      const c = visible(a.channel);
      if (!c) return 'channel_not_found';
      if (c.is_archived) return 'is_archived';
      if ((a.purpose ?? '').length > 250) return 'too_long';
      c.purpose = a.purpose ?? '';
      return { channel: channelObject(c) };
    },
    'conversations.archive': (a) => {
      const c = visible(a.channel);
      if (!c) return 'channel_not_found';
      if (c.is_archived) return 'already_archived';
      if (!c.members.has(BOT.user)) return 'not_in_channel';
      c.is_archived = true;
      return {};
    },
    'conversations.history': (a) => {
      const c = visible(a.channel);
      if (!c) return 'channel_not_found';
      if (!c.members.has(BOT.user)) return 'not_in_channel';
      const limit = Math.min(Number(a.limit) > 0 ? Math.floor(Number(a.limit)) : 100, 999);
      let latest = a.latest;
      let inclusive = a.inclusive === 'true' || a.inclusive === '1';
      if (a.cursor) {
        latest = decodeCursor(a.cursor);
        if (!latest) return 'invalid_cursor';
        inclusive = false;
      }
      const inRange = (ts: string) =>
        (latest === undefined || (inclusive ? compareTs(ts, latest) <= 0 : compareTs(ts, latest) < 0)) &&
        (a.oldest === undefined || (inclusive ? compareTs(ts, a.oldest) >= 0 : compareTs(ts, a.oldest) > 0));
      const all = [...state.messages.values()]
        .filter((m) => m.channel === c.id && (!m.thread_ts || m.thread_ts === m.ts) && inRange(m.ts))
        .sort((x, y) => compareTs(y.ts, x.ts));
      const page = all.slice(0, limit);
      const hasMore = all.length > limit;
      return {
        messages: page.map((m) => messageObject(state, m, a.include_all_metadata === 'true' || a.include_all_metadata === '1')),
        has_more: hasMore,
        pin_count: c.pins.size,
        response_metadata: { next_cursor: hasMore ? encodeCursor(page.at(-1)!.ts) : '' },
      };
    },
  };
}
