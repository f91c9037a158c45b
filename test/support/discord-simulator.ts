import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApplicationCommandType,
  ApplicationFlags,
  ChannelType,
  ComponentType,
  EmbedType,
  GatewayDispatchEvents,
  GatewayIntentBits,
  InteractionResponseType,
  Locale,
  MessageFlags,
  MessageType,
  OverwriteType,
  PermissionFlagsBits,
  type APIApplicationCommand,
  type APIAttachment,
  type APIGuildMember,
  type APIMessage,
  type APIOverwrite,
  type APIUser,
  type RESTPutAPIApplicationGuildCommandsJSONBody,
} from 'discord.js';
import { assertNotEmpty, check, commandErrors, invalidFormBody, messageErrors, type FormError, type MessageBody } from './discord-forms';
import { Gateway, type GatewaySession } from './discord-gateway';
import {
  BOT_DEFAULT,
  DEFAULT_GUILD,
  apiChannel,
  apiMember,
  apiUser,
  buildGuild,
  guildCreate,
  permissionsOf,
  snowflake,
  type SimChannel,
  type SimGuild,
  type SimGuildConfig,
  type SimMemberConfig,
  type SimUserConfig,
} from './discord-guild';
import { ATTACHMENT_LIMIT, commandData, interactionPayload, liveInteraction, type ButtonInput, type CommandInput, type InteractionHandle, type LiveInteraction } from './discord-interactions';
import {
  DiscordApiError,
  RestApi,
  alreadyAcknowledged,
  missingAccess,
  missingPermissions,
  unknownChannel,
  unknownGuild,
  unknownInteraction,
  unknownMember,
  unknownMessage,
  unknownWebhook,
  type Failure,
  type Handler,
  type RestCall,
  type RestRequest,
  type RestResult,
  type UploadedFile,
} from './discord-rest';
import { until } from './until';

export type { GatewaySession } from './discord-gateway';
export type { SimChannel, SimChannelConfig, SimGuild, SimGuildConfig, SimMemberConfig, SimRoleConfig, SimUserConfig } from './discord-guild';
export type { ButtonInput, CallbackAttempt, CommandInput, InteractionCallback, InteractionHandle, SimInteractionPayload } from './discord-interactions';
export type { Failure, RestCall } from './discord-rest';

/**
 * A Discord API stand-in on 127.0.0.1 for tests: REST (API v10, discord-rest.ts) and the
 * gateway WebSocket (discord-gateway.ts) on one port, so the real discord.js logs in against it
 * by configuration alone (`new Client({ intents, rest: { api: sim.apiUrl } })`;
 * `new REST({ api: sim.apiUrl })`). It keeps guilds, channels, messages, pins and guild
 * commands; answers with Discord's JSON error codes and form limits (discord-forms.ts);
 * enforces the bot's permissions (no VIEW_CHANNEL: 50001, anything else missing: 50013);
 * records every REST call and fails calls on demand (429 with Discord's rate-limit headers,
 * 5xx, any error code); and dispatches interactions to the connected bot (`interact`,
 * discord-interactions.ts), holding it to the 3 s deadline of the initial response. Changes
 * made through REST reach the bot as gateway events, as on Discord: CHANNEL_CREATE/UPDATE and
 * CHANNEL_PINS_UPDATE with the GUILDS intent, MESSAGE_CREATE/UPDATE/DELETE with GUILD_MESSAGES.
 */
export interface DiscordSimulatorOptions {
  applicationId?: string;
  botToken?: string;
  /** The bot's user; its id defaults to the application's, as for bots made since 2020. */
  botUser?: SimUserConfig;
  /** Default: one guild (DEFAULT_GUILD: alice, bob, viv; #ops; an incidents category). */
  guilds?: SimGuildConfig[];
  /** HELLO's heartbeat interval (Discord: 41250 ms). */
  heartbeatIntervalMs?: number;
  /** How long after dispatch an interaction's initial response is accepted (Discord: 3000 ms). */
  interactionDeadlineMs?: number;
  /** The bot's permissions in every guild, through its managed role (default: post, manage channels, roles and pins). */
  botPermissions?: bigint;
  /** Privileged intents enabled for the app in the developer portal (GatewayIntentBits bits); none by default. */
  privilegedIntents?: number;
}

const MAX_PINS = 50;
const MAX_CATEGORY_CHANNELS = 50;
/** How long Discord holds a nonce for enforce_nonce ("the past few minutes"; its exact span is not documented). */
const NONCE_WINDOW_MS = 5 * 60_000;

export class DiscordSimulator {
  readonly applicationId: string;
  readonly botToken: string;
  readonly botUser: APIUser;
  /** `http://127.0.0.1:PORT/api` once started: discord.js's and @discordjs/rest's `api` option. */
  apiUrl = '';
  /** `ws://127.0.0.1:PORT/gateway`, as GET /gateway/bot gives it. */
  gatewayUrl = '';
  readonly guilds = new Map<string, SimGuild>();
  readonly channels = new Map<string, SimChannel>();
  /** Every message, ephemeral ones included, by id. */
  readonly messages = new Map<string, APIMessage>();
  /** Uploaded attachments' bytes, by attachment id. */
  readonly files = new Map<string, Buffer>();
  /** Guild commands, by guild id. */
  readonly commands = new Map<string, APIApplicationCommand[]>();
  readonly interactions: InteractionHandle[] = [];

  private readonly options: Required<Omit<DiscordSimulatorOptions, 'applicationId' | 'botToken' | 'botUser'>>;
  private readonly applicationFlags: number;
  private readonly gateway: Gateway;
  private readonly rest: RestApi;
  private readonly botRoleIds = new Map<string, string>();
  private readonly live = new Map<string, LiveInteraction>();
  private readonly pinnedAt = new Map<string, string>();
  /** Nonces of messages posted, by `channel:nonce`, for enforce_nonce. */
  private readonly nonces = new Map<string, { messageId: string; at: number }>();
  private server?: Server;

  constructor(opts: DiscordSimulatorOptions = {}) {
    this.applicationId = opts.applicationId ?? '1200000000000000001';
    this.botToken = opts.botToken ?? `${Buffer.from(this.applicationId).toString('base64url')}.sim.${snowflake()}`;
    this.botUser = apiUser(opts.botUser ?? { id: this.applicationId, username: 'statetrace' }, true);
    this.options = {
      guilds: opts.guilds ?? [DEFAULT_GUILD],
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 41_250,
      interactionDeadlineMs: opts.interactionDeadlineMs ?? 3_000,
      botPermissions: opts.botPermissions ?? BOT_DEFAULT,
      privilegedIntents: opts.privilegedIntents ?? 0,
    };
    for (const g of this.options.guilds) this.botRoleIds.set(g.id, snowflake());
    const granted = this.options.privilegedIntents;
    // The portal's privileged-intent switches show in the application's flags ("…_LIMITED": allowed, unverified app).
    this.applicationFlags =
      (granted & GatewayIntentBits.GuildPresences ? ApplicationFlags.GatewayPresenceLimited : 0) |
      (granted & GatewayIntentBits.GuildMembers ? ApplicationFlags.GatewayGuildMembersLimited : 0) |
      (granted & GatewayIntentBits.MessageContent ? ApplicationFlags.GatewayMessageContentLimited : 0);
    this.gateway = new Gateway({
      token: this.botToken,
      user: this.botUser,
      application: { id: this.applicationId, flags: this.applicationFlags, flags_new: String(this.applicationFlags) },
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      privilegedIntents: granted,
      url: () => this.gatewayUrl,
      guildIds: () => [...this.guilds.keys()],
      guildCreate: (id, intents) => guildCreate(this.guild(id), this.channelsOf(id), this.botUser.id, Boolean(intents & GatewayIntentBits.GuildPresences)),
    });
    this.rest = new RestApi(this.handlers(), this.botToken);
    this.load();
  }

  /** Listens on 127.0.0.1 (a free port); resolves with `apiUrl`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.rest.serve(req, res));
    server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      if (!this.gateway.upgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.apiUrl = `http://127.0.0.1:${port}/api`;
    this.gatewayUrl = `ws://127.0.0.1:${port}/gateway`;
    return this.apiUrl;
  }

  /** Closes the gateway's sockets and the HTTP server (keep-alive connections too), leaving no handles. */
  async stop(): Promise<void> {
    this.settleAll('the Discord simulator stopped');
    await this.gateway.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Back to the configured guilds and channels: no messages, commands, interactions, calls or pending failures. Gateway sessions stay. */
  reset(): void {
    this.settleAll('the Discord simulator was reset');
    this.rest.reset();
    this.interactions.length = 0;
    for (const m of [this.guilds, this.channels, this.messages, this.files, this.commands, this.pinnedAt, this.nonces]) m.clear();
    this.load();
  }

  /** Every REST call, in order. */
  get calls(): RestCall[] {
    return this.rest.calls;
  }

  /** Gateway sessions (identified connections), oldest first. */
  get sessions(): GatewaySession[] {
    return this.gateway.sessions;
  }

  /** A guild (default: the first configured). */
  guild(id = this.options.guilds[0]?.id ?? ''): SimGuild {
    const guild = this.guilds.get(id);
    if (!guild) throw unknownGuild();
    return guild;
  }

  /** A channel by id, or by name (the newest of that name: Discord allows duplicates). */
  channel(idOrName: string): SimChannel | undefined {
    return this.channels.get(idOrName) ?? [...this.channels.values()].filter((c) => c.name === idOrName).at(-1);
  }

  channelsOf(guildId: string): SimChannel[] {
    return [...this.channels.values()].filter((c) => c.guild_id === guildId);
  }

  /** A channel's messages as members see them (no ephemeral ones), oldest first. */
  messagesIn(channelId: string): APIMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId && !((m.flags ?? 0) & MessageFlags.Ephemeral));
  }

  /** A channel's pinned messages, most recently pinned first. */
  pinsIn(channelId: string): APIMessage[] {
    return this.messagesIn(channelId)
      .filter((m) => m.pinned)
      .sort((a, b) => (this.pinnedAt.get(b.id) ?? '').localeCompare(this.pinnedAt.get(a.id) ?? ''));
  }

  /** A guild's commands (default: the first guild's). */
  commandsOf(guildId = this.guild().id): APIApplicationCommand[] {
    return this.commands.get(guildId) ?? [];
  }

  /** Calls whose route is `pattern` (`'/channels/:channel/messages'`, optionally after a method: `'POST /…'`), or whose `METHOD path` it matches. */
  callsTo(pattern: string | RegExp): RestCall[] {
    return this.rest.callsTo(pattern);
  }

  /** The next `times` REST calls matching `pattern` (as in `callsTo`) fail this way, after authentication. */
  failNext(pattern: string | RegExp, failure: Failure, times = 1): void {
    this.rest.failNext(pattern, failure, times);
  }

  /** Op 7 to the bot: reconnect and RESUME (discord.js does; missed dispatches are replayed). */
  requestReconnect(): void {
    this.gateway.requestReconnect();
  }

  /** Polls `predicate` every 20 ms until it is truthy (and returns it); throws after `timeoutMs`. */
  waitFor<T>(predicate: () => T | Promise<T>, timeoutMs = 5_000): Promise<NonNullable<T>> {
    return until('the Discord simulator condition', predicate, timeoutMs, {
      everyMs: 20,
      context: () => `last calls: ${this.calls.slice(-5).map((c) => `${c.method} ${c.path} ${c.status}`).join(', ') || 'none'}`,
    });
  }

  /**
   * Dispatches INTERACTION_CREATE to the newest connected session: a slash command
   * (`{ name, subcommand?, options? }`) or a click on a button of a message (`{ customId, message }`).
   */
  interact(input: CommandInput | ButtonInput): InteractionHandle {
    const session = this.gateway.openSession();
    if (!session) throw new Error('no bot is connected to the Discord simulator gateway');
    const guild = this.guild(input.guildId);
    let what: Parameters<typeof interactionPayload>[1];
    let channelId: string | undefined;
    if ('customId' in input) {
      const clicked = this.clickable(input);
      what = { clicked, customId: input.customId };
      channelId = clicked.channel_id;
    } else {
      const registered = this.commandsOf(guild.id).find((c) => c.name === input.name && c.type === ApplicationCommandType.ChatInput);
      what = { command: commandData(input, guild.id, registered) };
      channelId = input.channelId;
    }
    const channel = channelId ? this.channels.get(channelId) : this.channelsOf(guild.id).find((c) => c.type === ChannelType.GuildText);
    if (!channel || channel.guild_id !== guild.id) throw new Error(`no channel ${channelId ?? '(text)'} in guild ${guild.id}`);
    const member = this.memberFor(guild, input.member);
    const memberPermissions = permissionsOf(guild, member, channel);
    const appPermissions = permissionsOf(guild, this.botMember(guild), channel);
    const payload = interactionPayload({ applicationId: this.applicationId, guildId: guild.id, channel, member, memberPermissions, appPermissions, locale: input.locale }, what);
    const live = liveInteraction(payload, this.options.interactionDeadlineMs, this.messages);
    this.live.set(payload.id, live);
    this.interactions.push(live.handle);
    this.gateway.dispatchTo(session, GatewayDispatchEvents.InteractionCreate, payload);
    return live.handle;
  }

  private load(): void {
    for (const config of this.options.guilds) {
      const { guild, channels } = buildGuild(config, this.botUser, this.options.botPermissions, this.botRoleIds.get(config.id) ?? '');
      this.guilds.set(guild.id, guild);
      for (const c of channels) this.channels.set(c.id, c);
    }
  }

  private settleAll(reason: string): void {
    for (const l of this.live.values()) {
      clearTimeout(l.timer);
      l.settle.reject(new Error(reason));
    }
    this.live.clear();
  }

  private botMember(guild: SimGuild): APIGuildMember {
    return guild.members.get(this.botUser.id) as APIGuildMember;
  }

  private memberFor(guild: SimGuild, who: string | SimMemberConfig | undefined): APIGuildMember {
    if (typeof who === 'object') return apiMember(apiUser(who.user), who.roles ?? [], guild.joined_at, who.nick);
    const people = [...guild.members.values()].filter((m) => m.user.id !== this.botUser.id);
    const member = who === undefined ? people[0] : people.find((m) => m.user.id === who || m.user.username === who);
    if (!member) throw new Error(`no member ${who ?? ''} in guild ${guild.id}`);
    return member;
  }

  /** The message a button click comes from; the button must be on it and enabled, as only then can a person click it. */
  private clickable(input: ButtonInput): APIMessage {
    const id = typeof input.message === 'string' ? input.message : input.message.id;
    const message = this.messages.get(id);
    if (!message) throw new Error(`no message ${id} in the Discord simulator`);
    const button = (message.components ?? [])
      .flatMap((row) => (row.type === ComponentType.ActionRow ? row.components : []))
      .find((c) => c.type === ComponentType.Button && 'custom_id' in c && c.custom_id === input.customId);
    if (!button || button.disabled) throw new Error(`message ${id} has no enabled button ${input.customId}`);
    return message;
  }

  /** The REST routes, in matching order (literal segments before parameters where both could match). */
  private handlers(): Record<string, Handler> {
    const ok = (body: unknown, status = 200): RestResult => ({ status, body });
    return {
      'GET /gateway/bot': () => ok({ url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 1000 - this.sessions.length, reset_after: 86_400_000, max_concurrency: 1 } }),
      'GET /users/@me': () => ok({ ...this.botUser, verified: true, mfa_enabled: false, flags: 0, email: null, locale: Locale.EnglishUS }),
      'GET /applications/@me': () =>
        ok({ id: this.applicationId, name: this.botUser.username, icon: null, description: '', bot_public: false, bot_require_code_grant: false, bot: this.botUser, flags: this.applicationFlags, team: null }),

      'GET /applications/:application/guilds/:guild/commands': ({ params }) => ok(this.commandsIn(params).list),
      'PUT /applications/:application/guilds/:guild/commands': ({ params, body }) => {
        const { guild, list } = this.commandsIn(params);
        if (!Array.isArray(body)) throw invalidFormBody([['', 'BASE_TYPE_ARRAY', 'Must be an array.']]);
        const wanted = body as RESTPutAPIApplicationGuildCommandsJSONBody;
        check(commandErrors(wanted));
        this.commands.set(guild, wanted.map((c) => this.command(guild, c, list)));
        return ok(this.commandsOf(guild));
      },
      'POST /applications/:application/guilds/:guild/commands': ({ params, body }) => {
        const { guild, list } = this.commandsIn(params);
        const c = body as RESTPutAPIApplicationGuildCommandsJSONBody[number];
        check(commandErrors([c]).map(([path, code, msg]) => [path.replace(/^0\./, ''), code, msg] as FormError));
        // Creating a command whose name exists replaces it (200); a new one is 201.
        const existing = list.findIndex((x) => x.name === c.name && x.type === (c.type ?? ApplicationCommandType.ChatInput));
        const created = this.command(guild, c, list);
        this.commands.set(guild, existing >= 0 ? list.map((x, i) => (i === existing ? created : x)) : [...list, created]);
        return ok(created, existing >= 0 ? 200 : 201);
      },

      'GET /guilds/:guild/channels': ({ params }) => ok(this.channelsOf(this.guild(params.guild).id)),
      'POST /guilds/:guild/channels': ({ params, body }) => {
        const guild = this.guild(params.guild);
        this.botNeeds(guild, undefined, PermissionFlagsBits.ManageChannels);
        if (body.permission_overwrites) this.botNeeds(guild, undefined, PermissionFlagsBits.ManageRoles);
        const type = (body.type as ChannelType | undefined) ?? ChannelType.GuildText;
        if (type !== ChannelType.GuildText && type !== ChannelType.GuildCategory) throw invalidFormBody([['type', 'BASE_TYPE_CHOICES', 'Value must be one of {0, 4}.']]);
        check(this.channelErrors(guild, body, type));
        const parent = body.parent_id ? this.channels.get(body.parent_id as string) : undefined;
        const siblings = this.channelsOf(guild.id).filter((c) => c.type === type).length;
        const channel = apiChannel(
          guild.id,
          {
            id: snowflake(),
            name: channelName(type, body.name as string),
            type,
            parent_id: parent?.id ?? null,
            topic: (body.topic as string | undefined) ?? null,
            // A channel made in a category without overwrites of its own gets (is synced to) the category's.
            permission_overwrites: overwrites(body.permission_overwrites) ?? structuredClone(parent?.permission_overwrites ?? []),
          },
          siblings,
        );
        this.channels.set(channel.id, channel);
        this.gateway.dispatch(GatewayDispatchEvents.ChannelCreate, channel, GatewayIntentBits.Guilds);
        return ok(channel, 201);
      },
      'GET /guilds/:guild/roles': ({ params }) => ok(this.guild(params.guild).roles),
      'GET /guilds/:guild/members/:user': ({ params }) => {
        const member = this.guild(params.guild).members.get(params.user ?? '');
        if (!member) throw unknownMember();
        return ok(member);
      },

      'GET /channels/:channel': ({ params }) => {
        const channel = this.channelOf(params.channel);
        this.botNeeds(this.guild(channel.guild_id), channel, PermissionFlagsBits.ViewChannel);
        return ok(channel);
      },
      'PATCH /channels/:channel': ({ params, body }) => {
        const channel = this.channelOf(params.channel);
        const guild = this.guild(channel.guild_id);
        this.botNeeds(guild, channel, PermissionFlagsBits.ManageChannels);
        if (body.permission_overwrites) this.botNeeds(guild, channel, PermissionFlagsBits.ManageRoles);
        check(this.channelErrors(guild, body, channel.type, channel));
        const patch: Partial<SimChannel> = {};
        if (typeof body.name === 'string') patch.name = channelName(channel.type, body.name);
        if ('topic' in body && channel.type === ChannelType.GuildText) Object.assign(patch, { topic: body.topic });
        if ('parent_id' in body && channel.type === ChannelType.GuildText) Object.assign(patch, { parent_id: body.parent_id ?? null });
        if (typeof body.position === 'number') patch.position = body.position;
        patch.permission_overwrites = overwrites(body.permission_overwrites) ?? channel.permission_overwrites;
        // Thread-only fields: these channels are no threads; kept as given, for tests to see.
        for (const key of ['archived', 'locked'] as const) if (typeof body[key] === 'boolean') patch[key] = body[key];
        Object.assign(channel, patch);
        this.gateway.dispatch(GatewayDispatchEvents.ChannelUpdate, channel, GatewayIntentBits.Guilds);
        return ok(channel);
      },
      'PUT /channels/:channel/permissions/:overwrite': ({ params, body }) => {
        const channel = this.channelOf(params.channel);
        this.botNeeds(this.guild(channel.guild_id), channel, PermissionFlagsBits.ManageRoles);
        const [ow] = overwrites([{ ...body, id: params.overwrite }]) ?? [];
        if (!ow) throw invalidFormBody([['type', 'BASE_TYPE_CHOICES', 'Value must be one of {0, 1}.']]);
        channel.permission_overwrites = [...(channel.permission_overwrites ?? []).filter((o) => o.id !== ow.id), ow];
        this.gateway.dispatch(GatewayDispatchEvents.ChannelUpdate, channel, GatewayIntentBits.Guilds);
        return {};
      },
      'DELETE /channels/:channel/permissions/:overwrite': ({ params }) => {
        const channel = this.channelOf(params.channel);
        this.botNeeds(this.guild(channel.guild_id), channel, PermissionFlagsBits.ManageRoles);
        channel.permission_overwrites = (channel.permission_overwrites ?? []).filter((o) => o.id !== params.overwrite);
        this.gateway.dispatch(GatewayDispatchEvents.ChannelUpdate, channel, GatewayIntentBits.Guilds);
        return {};
      },

      // Pins: discord.js 14.28 uses the paged /messages/pins routes; the older /pins ones answer too.
      'GET /channels/:channel/messages/pins': ({ params }) =>
        ok({ items: this.pinsIn(this.readable(params.channel).id).map((message) => ({ pinned_at: this.pinnedAt.get(message.id), message })), has_more: false }),
      'PUT /channels/:channel/messages/pins/:message': ({ params }) => this.pin(params, true),
      'DELETE /channels/:channel/messages/pins/:message': ({ params }) => this.pin(params, false),
      'GET /channels/:channel/pins': ({ params }) => ok(this.pinsIn(this.readable(params.channel).id)),
      'PUT /channels/:channel/pins/:message': ({ params }) => this.pin(params, true),
      'DELETE /channels/:channel/pins/:message': ({ params }) => this.pin(params, false),

      'GET /channels/:channel/messages': ({ params, query }) => {
        const channel = this.readable(params.channel);
        const limit = Number(query.get('limit') ?? 50);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidFormBody([['limit', 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 100.']]);
        const before = query.get('before');
        const older = this.messagesIn(channel.id).filter((m) => !before || BigInt(m.id) < BigInt(before));
        return ok(older.reverse().slice(0, limit));
      },
      'POST /channels/:channel/messages': ({ params, body, files }) => {
        const channel = this.textChannel(params.channel);
        this.botNeeds(this.guild(channel.guild_id), channel, PermissionFlagsBits.SendMessages);
        const nonce = typeof body.nonce === 'string' || typeof body.nonce === 'number' ? body.nonce : undefined;
        const key = `${channel.id}:${String(nonce)}`;
        // With enforce_nonce, a nonce used in the channel within the past few minutes gets back the message made for it, and nothing new.
        const earlier = nonce !== undefined && body.enforce_nonce === true ? this.nonces.get(key) : undefined;
        const existing = earlier && Date.now() - earlier.at < NONCE_WINDOW_MS ? this.messages.get(earlier.messageId) : undefined;
        if (existing) return ok(existing);
        const message = this.post(channel, body, files, nonce === undefined ? {} : { nonce });
        if (nonce !== undefined) this.nonces.set(key, { messageId: message.id, at: Date.now() });
        return ok(message);
      },
      'GET /channels/:channel/messages/:message': ({ params }) => ok(this.messageIn(this.readable(params.channel), params.message)),
      'PATCH /channels/:channel/messages/:message': ({ params, body, files }) => ok(this.edit(this.messageIn(this.readable(params.channel), params.message), body, files)),

      'POST /interactions/:interaction/:token/callback': (req) => this.respond(req),
      'POST /webhooks/:application/:token': ({ params, query, body, files }) => {
        const live = this.webhook(params);
        const channel = this.channelOf(live.handle.payload.channel_id);
        const message = this.post(channel, body, files, { webhook_id: this.applicationId, application_id: this.applicationId }, MessageFlags.Ephemeral);
        live.followUpIds.push(message.id);
        return query.get('wait') === 'true' ? ok(message) : {};
      },
      'GET /webhooks/:application/:token/messages/:message': ({ params }) => ok(this.webhookMessage(params)),
      'PATCH /webhooks/:application/:token/messages/:message': ({ params, body, files }) => ok(this.edit(this.webhookMessage(params), body, files)),
      'DELETE /webhooks/:application/:token/messages/:message': ({ params }) => {
        const message = this.webhookMessage(params);
        this.messages.delete(message.id);
        if (!((message.flags ?? 0) & MessageFlags.Ephemeral)) {
          this.gateway.dispatch(GatewayDispatchEvents.MessageDelete, { id: message.id, channel_id: message.channel_id, guild_id: this.channelOf(message.channel_id).guild_id }, GatewayIntentBits.GuildMessages);
        }
        return {};
      },
    };
  }

  // ---- REST helpers ----

  /** The bot's permission in the guild (or channel): no VIEW_CHANNEL in a channel is 50001 Missing Access, anything else missing is 50013. */
  private botNeeds(guild: SimGuild, channel: SimChannel | undefined, permission: bigint): void {
    const perms = permissionsOf(guild, this.botMember(guild), channel);
    if (channel && !(perms & PermissionFlagsBits.ViewChannel)) throw missingAccess();
    if (!(perms & permission)) throw missingPermissions();
  }

  private channelOf(id: string | undefined): SimChannel {
    const channel = this.channels.get(id ?? '');
    if (!channel) throw unknownChannel();
    return channel;
  }

  /** A channel the bot can see and read the history of. */
  private readable(id: string | undefined): SimChannel {
    const channel = this.channelOf(id);
    this.botNeeds(this.guild(channel.guild_id), channel, PermissionFlagsBits.ReadMessageHistory);
    return channel;
  }

  private textChannel(id: string | undefined): SimChannel {
    const channel = this.channelOf(id);
    if (channel.type !== ChannelType.GuildText) throw new DiscordApiError(400, 50008, 'Cannot send messages in a non-text channel');
    return channel;
  }

  /** A visible (not ephemeral) message of the channel. */
  private messageIn(channel: SimChannel, id: string | undefined): APIMessage {
    const message = this.messages.get(id ?? '');
    if (!message || message.channel_id !== channel.id || (message.flags ?? 0) & MessageFlags.Ephemeral) throw unknownMessage();
    return message;
  }

  private channelErrors(guild: SimGuild, body: Record<string, unknown>, type: ChannelType, current?: SimChannel): FormError[] {
    const errors: FormError[] = [];
    const name = body.name;
    if ((!current || name !== undefined) && (typeof name !== 'string' || name.length < 1 || name.length > 100)) errors.push(['name', 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.']);
    if (typeof body.topic === 'string' && body.topic.length > 1024) errors.push(['topic', 'BASE_TYPE_MAX_LENGTH', 'Must be 1024 or fewer in length.']);
    if (body.permission_overwrites !== undefined && !overwrites(body.permission_overwrites)) errors.push(['permission_overwrites', 'BASE_TYPE_ARRAY', 'Must be an array of {id, type (0 role, 1 member), allow, deny}.']);
    const parentId = body.parent_id;
    if (typeof parentId === 'string' && parentId !== current?.parent_id) {
      const parent = this.channels.get(parentId);
      if (type === ChannelType.GuildCategory || parent?.type !== ChannelType.GuildCategory || parent.guild_id !== guild.id) {
        errors.push(['parent_id', 'CHANNEL_PARENT_INVALID_TYPE', 'Not a category']);
      } else if ([...this.channels.values()].filter((c) => c.parent_id === parentId).length >= MAX_CATEGORY_CHANNELS) {
        errors.push(['parent_id', 'CHANNEL_PARENT_MAX_CHANNELS', `Maximum number of channels in category reached (${MAX_CATEGORY_CHANNELS})`]);
      }
    }
    return errors;
  }

  /** Creates a message as the bot (MESSAGE_CREATE to the bot unless ephemeral). `allowedFlags` are the flags the caller may set. */
  private post(channel: SimChannel, body: MessageBody, files: UploadedFile[], extra: Partial<APIMessage>, allowedFlags = 0): APIMessage {
    check(messageErrors(body));
    assertNotEmpty(body, files);
    return this.create(channel, body, files, { ...extra, flags: (body.flags ?? 0) & (allowedFlags | MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications) });
  }

  private create(channel: SimChannel, body: MessageBody, files: UploadedFile[], extra: Partial<APIMessage>): APIMessage {
    const message: APIMessage = {
      id: snowflake(),
      type: MessageType.Default,
      channel_id: channel.id,
      author: this.botUser,
      content: body.content ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: this.attach(channel, files),
      embeds: (body.embeds ?? []).map((e) => ({ type: EmbedType.Rich, ...e })),
      components: body.components ?? [],
      pinned: false,
      flags: 0 as MessageFlags,
      ...extra,
    };
    this.messages.set(message.id, message);
    if ((message.flags ?? 0) & MessageFlags.Ephemeral) return message;
    if (channel.type === ChannelType.GuildText) channel.last_message_id = message.id;
    const { user: _user, ...member } = this.botMember(this.guild(channel.guild_id));
    this.gateway.dispatch(GatewayDispatchEvents.MessageCreate, { ...message, guild_id: channel.guild_id, member }, GatewayIntentBits.GuildMessages);
    return message;
  }

  /** Edits a message in place: the fields given replace the old (`attachments` lists the ones to keep); it may not end up empty. */
  private edit(message: APIMessage, body: MessageBody, files: UploadedFile[]): APIMessage {
    check(messageErrors(body));
    const next = {
      content: body.content ?? message.content,
      embeds: body.embeds ? body.embeds.map((e) => ({ type: EmbedType.Rich, ...e })) : message.embeds,
      components: body.components ?? message.components,
      attachments: body.attachments ? message.attachments.filter((a) => body.attachments?.some((k) => String(k.id) === a.id)) : message.attachments,
    };
    assertNotEmpty(next, files);
    Object.assign(message, next, { attachments: [...next.attachments, ...this.attach(this.channelOf(message.channel_id), files)] });
    message.flags = (message.flags ?? 0) & ~MessageFlags.Loading;
    message.edited_timestamp = new Date().toISOString();
    if (!((message.flags ?? 0) & MessageFlags.Ephemeral)) {
      this.gateway.dispatch(GatewayDispatchEvents.MessageUpdate, { ...message, guild_id: this.channelOf(message.channel_id).guild_id }, GatewayIntentBits.GuildMessages);
    }
    return message;
  }

  private attach(channel: SimChannel, files: UploadedFile[]): APIAttachment[] {
    if (files.length > 10) throw invalidFormBody([['files', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.']]);
    if (files.some((f) => f.bytes.length > ATTACHMENT_LIMIT)) throw new DiscordApiError(413, 40005, 'Request entity too large');
    return files.map((f) => {
      const id = snowflake();
      this.files.set(id, f.bytes);
      // Where Discord's CDN would serve it; the simulator keeps the bytes in `files` instead.
      const url = `https://cdn.discordapp.com/attachments/${channel.id}/${id}/${encodeURIComponent(f.filename)}`;
      return { id, filename: f.filename, size: f.bytes.length, url, proxy_url: url, content_type: f.contentType };
    });
  }

  private pin(params: Record<string, string>, pinned: boolean): RestResult {
    const channel = this.channelOf(params.channel);
    const guild = this.guild(channel.guild_id);
    // PIN_MESSAGES, or MANAGE_MESSAGES, which pinned before Discord split the two.
    this.botNeeds(guild, channel, PermissionFlagsBits.PinMessages | PermissionFlagsBits.ManageMessages);
    const message = this.messageIn(channel, params.message);
    if (pinned && !message.pinned && this.pinsIn(channel.id).length >= MAX_PINS) throw new DiscordApiError(400, 30003, `Maximum number of pins reached (${MAX_PINS})`);
    if (message.pinned === pinned) return {};
    message.pinned = pinned;
    if (pinned) {
      this.pinnedAt.set(message.id, new Date().toISOString());
      // Discord announces a pin in the channel with a system message pointing at the pinned one.
      this.create(channel, {}, [], { type: MessageType.ChannelPinnedMessage, message_reference: { type: 0, message_id: message.id, channel_id: channel.id, guild_id: guild.id } });
    } else {
      this.pinnedAt.delete(message.id);
    }
    const last = this.pinsIn(channel.id)[0];
    this.gateway.dispatch(GatewayDispatchEvents.ChannelPinsUpdate, { guild_id: guild.id, channel_id: channel.id, last_pin_timestamp: last ? this.pinnedAt.get(last.id) : null }, GatewayIntentBits.Guilds);
    return {};
  }

  private commandsIn(params: Record<string, string>): { guild: string; list: APIApplicationCommand[] } {
    if (params.application !== this.applicationId) throw missingAccess();
    const guild = this.guild(params.guild).id;
    return { guild, list: this.commandsOf(guild) };
  }

  /** A stored command; one that replaces a command of the same name and type keeps its id, as on Discord. */
  private command(guildId: string, c: RESTPutAPIApplicationGuildCommandsJSONBody[number], existing: APIApplicationCommand[]): APIApplicationCommand {
    const type = c.type ?? ApplicationCommandType.ChatInput;
    return {
      ...c,
      id: existing.find((x) => x.name === c.name && x.type === type)?.id ?? snowflake(),
      application_id: this.applicationId,
      guild_id: guildId,
      version: snowflake(),
      type,
      description: 'description' in c ? (c.description ?? '') : '',
      default_member_permissions: c.default_member_permissions ?? null,
      nsfw: c.nsfw ?? false,
    };
  }

  // ---- interactions ----

  /** An interaction's initial response: within the deadline, once, of a type that fits the interaction. */
  private respond({ params, query, body, files }: RestRequest): RestResult {
    const live = this.live.get(params.interaction ?? '');
    if (!live || live.handle.token !== params.token) throw unknownInteraction();
    const at = Date.now();
    const type = body.type as InteractionResponseType;
    /** Records the attempt; throws `error` if it was refused. */
    const attempt = (status: number, error?: DiscordApiError) => {
      live.handle.attempts.push({ type, at, afterMs: at - live.handle.dispatchedAt, status, ...(error && { code: error.code }) });
      if (error) throw error;
    };
    if (at - live.handle.dispatchedAt > this.options.interactionDeadlineMs) attempt(404, unknownInteraction());
    if (live.acked) attempt(400, alreadyAcknowledged());
    const { handle } = live;
    const R = InteractionResponseType;
    const allowed = handle.kind === 'button' ? [R.ChannelMessageWithSource, R.DeferredChannelMessageWithSource, R.DeferredMessageUpdate, R.UpdateMessage, R.Modal] : [R.ChannelMessageWithSource, R.DeferredChannelMessageWithSource, R.Modal];
    if (!allowed.includes(type)) attempt(400, invalidFormBody([['type', 'BASE_TYPE_CHOICES', `Value must be one of {${allowed.join(', ')}}.`]]));
    const data = (body.data ?? {}) as MessageBody;
    const channel = this.channelOf(handle.payload.channel_id);
    try {
      const ephemeral = (data.flags ?? 0) & MessageFlags.Ephemeral;
      const reply: Partial<APIMessage> = {
        type: handle.kind === 'command' ? MessageType.ChatInputCommand : MessageType.Default,
        webhook_id: this.applicationId,
        application_id: this.applicationId,
        interaction_metadata: {
          id: handle.id,
          type: handle.payload.type,
          user: handle.payload.member.user,
          authorizing_integration_owners: handle.payload.authorizing_integration_owners,
          ...(handle.kind === 'button' && { interacted_message_id: handle.payload.message?.id }),
        } as APIMessage['interaction_metadata'],
      };
      if (type === InteractionResponseType.ChannelMessageWithSource) live.originalId = this.post(channel, data, files, reply, MessageFlags.Ephemeral).id;
      if (type === InteractionResponseType.DeferredChannelMessageWithSource) live.originalId = this.create(channel, {}, [], { ...reply, flags: MessageFlags.Loading | ephemeral }).id;
      if (type === InteractionResponseType.DeferredMessageUpdate) live.originalId = handle.payload.message?.id;
      if (type === InteractionResponseType.UpdateMessage) live.originalId = this.edit(this.messages.get(handle.payload.message?.id ?? '') ?? fail(unknownMessage()), data, files).id;
    } catch (err) {
      if (err instanceof DiscordApiError) attempt(err.status, err);
      throw err;
    }
    attempt(query.get('with_response') === 'true' ? 200 : 204);
    live.acked = { type, ...(body.data !== undefined && { data }), flags: data.flags ?? 0, at, afterMs: at - handle.dispatchedAt };
    clearTimeout(live.timer);
    live.settle.resolve(live.acked);
    if (query.get('with_response') !== 'true') return {};
    const message = live.originalId ? this.messages.get(live.originalId) : undefined;
    return {
      status: 200,
      body: {
        interaction: {
          id: handle.id,
          type: handle.payload.type,
          ...(message && { response_message_id: message.id, response_message_loading: Boolean((message.flags ?? 0) & MessageFlags.Loading), response_message_ephemeral: Boolean((message.flags ?? 0) & MessageFlags.Ephemeral) }),
        },
        resource: { type, ...(message && { message }) },
      },
    };
  }

  /** The interaction behind a webhook path: the application's, acknowledged (before that the webhook does not exist). */
  private webhook(params: Record<string, string>): LiveInteraction {
    const live = [...this.live.values()].find((l) => l.handle.token === params.token);
    if (params.application !== this.applicationId || !live?.acked) throw unknownWebhook();
    return live;
  }

  /** `@original` or one of the interaction's follow-ups. */
  private webhookMessage(params: Record<string, string>): APIMessage {
    const live = this.webhook(params);
    const id = params.message === '@original' ? live.originalId : params.message;
    const message = id && (id === live.originalId || live.followUpIds.includes(id)) ? this.messages.get(id) : undefined;
    return message ?? fail(unknownMessage());
  }
}

/** Discord lowercases text channel names and turns spaces into dashes; categories keep theirs. */
function channelName(type: ChannelType, name: string): string {
  return type === ChannelType.GuildText ? name.toLowerCase().replace(/\s+/g, '-') : name;
}

function fail(error: DiscordApiError): never {
  throw error;
}

/** A permission bitfield as Discord's decimal string (none if absent). */
function bits(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : '0';
}

/** Permission overwrites from a body, or undefined if absent or not well-formed. */
function overwrites(raw: unknown): APIOverwrite[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const list = raw as Partial<Record<keyof APIOverwrite, unknown>>[];
  const ok = list.every((o) => typeof o.id === 'string' && (o.type === OverwriteType.Role || o.type === OverwriteType.Member));
  return ok ? list.map((o) => ({ id: o.id as string, type: o.type as OverwriteType, allow: bits(o.allow), deny: bits(o.deny) })) : undefined;
}
