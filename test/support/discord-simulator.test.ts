import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Client,
  DiscordAPIError,
  EmbedBuilder,
  Events,
  GatewayIntentBits,
  MessageFlags,
  OverwriteType,
  PermissionFlagsBits,
  RateLimitError,
  REST,
  Routes,
  type APIChannel,
  type APIMessage,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import WebSocket from 'ws';
import { DiscordSimulator } from './discord-simulator';

/** The real discord.js (client, gateway, REST) against the simulator, configured only by `rest.api`. */
const GUILD = '1300000000000000001';
const CATEGORY = '1300000000000000200';
const OPS = '1300000000000000201';
const NETOPS = '1300000000000000010';
const DEADLINE_MS = 300;

let sim: DiscordSimulator;
let client: Client;
let rest: REST;
/** What the bot does with the next interactions; each test sets it. */
let onInteraction: (i: Interaction) => Promise<void> = () => Promise.resolve();
const handlerErrors: unknown[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
const row = (...ids: string[]) => new ActionRowBuilder<ButtonBuilder>().addComponents(ids.map((id) => new ButtonBuilder().setCustomId(id).setLabel(id).setStyle(ButtonStyle.Primary)));

beforeAll(async () => {
  sim = new DiscordSimulator({ heartbeatIntervalMs: 100, interactionDeadlineMs: DEADLINE_MS });
  await sim.start();
  client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages], rest: { api: sim.apiUrl } });
  client.on(Events.InteractionCreate, (i) => void onInteraction(i).catch((e: unknown) => handlerErrors.push(e)));
  const ready = new Promise((resolve) => client.once(Events.ClientReady, resolve));
  await client.login(sim.botToken);
  await ready;
  rest = new REST({ api: sim.apiUrl }).setToken(sim.botToken);
});
afterAll(async () => {
  await client.destroy();
  await sim.stop();
});
afterEach(() => expect(handlerErrors).toEqual([]));

describe('Discord simulator: gateway and interactions with the discord.js client', () => {
  it('logs in (READY, GUILD_CREATE): the guild is cached with its channels and roles, and only the bot among members', () => {
    expect(client.user?.id).toBe(sim.applicationId);
    expect(client.application?.id).toBe(sim.applicationId);
    const guild = client.guilds.cache.get(GUILD)!;
    expect(guild.name).toBe('StateTrace Sim');
    expect(guild.channels.cache.map((c) => [c.name, c.type])).toEqual([['incidents', ChannelType.GuildCategory], ['ops', ChannelType.GuildText]]);
    expect(guild.roles.cache.map((r) => r.name).sort()).toEqual(['@everyone', 'netops', 'statetrace', 'viewer']);
    // Without GUILD_PRESENCES Discord sends only the bot's own member.
    expect([...guild.members.cache.keys()]).toEqual([sim.applicationId]);
    expect(guild.members.me!.roles.cache.map((r) => r.name).sort()).toEqual(['@everyone', 'statetrace']);
    expect(sim.sessions).toHaveLength(1);
    expect(sim.sessions[0]).toMatchObject({ state: 'open', intents: GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages, shard: [0, 1] });
    expect(sim.callsTo('GET /gateway/bot')[0]).toMatchObject({ status: 200 });
  });

  it('answers heartbeats with ACKs (discord.js measures its ping from them)', async () => {
    const session = sim.sessions[0]!;
    await sim.waitFor(() => session.heartbeats.length >= 2 && client.ws.ping >= 0);
    expect(session.heartbeats.at(-1)!.seq).toBeGreaterThanOrEqual(2); // READY and GUILD_CREATE were dispatched
  });

  it('dispatches a slash command that discord.js parses; deferReply (ephemeral) then editReply shows "done"', async () => {
    const seen: unknown[] = [];
    onInteraction = async (i) => {
      if (!i.isChatInputCommand()) return;
      seen.push([i.commandName, i.options.getSubcommand(), i.options.getString('route'), i.options.getInteger('minutes'), i.inCachedGuild() && i.member.roles.cache.has(NETOPS), i.channelId]);
      seen.push(i.memberPermissions?.has(PermissionFlagsBits.SendMessages));
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.editReply('done');
    };
    const handle = sim.interact({ name: 'statetrace', subcommand: 'status', options: { route: 'r1', minutes: 15 }, member: 'alice' });
    expect(handle.payload).toMatchObject({
      type: 2,
      application_id: sim.applicationId,
      version: 1,
      guild_id: GUILD,
      channel_id: OPS,
      channel: { id: OPS, type: 0 },
      member: { user: { username: 'alice' }, roles: [NETOPS] },
      data: { name: 'statetrace', type: 1, options: [{ name: 'status', type: 1, options: [{ name: 'route', type: 3, value: 'r1' }, { name: 'minutes', type: 4, value: 15 }] }] },
      entitlements: [],
      authorizing_integration_owners: { 0: GUILD },
    });
    const callback = await handle.callback;
    expect(callback).toMatchObject({ type: 5, flags: MessageFlags.Ephemeral });
    expect(callback.afterMs).toBeLessThan(DEADLINE_MS);
    await sim.waitFor(() => handle.content() === 'done');
    expect(seen).toEqual([['statetrace', 'status', 'r1', 15, true, OPS], true]);
    // Ephemeral: only the person who ran it sees it, so it is not in the channel; no longer "thinking".
    expect(handle.original()).toMatchObject({ flags: MessageFlags.Ephemeral, type: 20, interaction_metadata: { id: handle.id, type: 2 } });
    expect(sim.messagesIn(OPS).map((m) => m.id)).not.toContain(handle.original()!.id);
    expect(sim.callsTo('PATCH /webhooks/:application/:token/messages/:message')).toHaveLength(1);
  });

  it('a public reply reaches the channel (and the bot, as MESSAGE_CREATE); follow-ups are recorded and editable; files go as multipart', async () => {
    onInteraction = async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply({ content: 'r1 acknowledged', files: [{ attachment: Buffer.from('%PDF-1.7'), name: 'packet.pdf' }] });
      const more = await i.followUp({ content: 'timeline…', flags: MessageFlags.Ephemeral });
      await i.editReply({ message: more.id, content: 'timeline: 3 events' });
    };
    const handle = sim.interact({ name: 'ack', member: 'bob' });
    expect(await handle.callback).toMatchObject({ type: 4, flags: 0, data: { content: 'r1 acknowledged' } });
    await sim.waitFor(() => handle.followUps()[0]?.content === 'timeline: 3 events');
    const reply = handle.original()!;
    expect(reply.attachments).toMatchObject([{ filename: 'packet.pdf', size: 8 }]);
    expect(sim.files.get(reply.attachments[0]!.id)!.toString()).toBe('%PDF-1.7');
    expect(sim.messagesIn(OPS).at(-1)!.id).toBe(reply.id);
    expect(handle.followUps()[0]!.flags).toBe(MessageFlags.Ephemeral);
    expect(sim.callsTo('POST /interactions/:interaction/:token/callback').at(-1)!.files).toEqual(['packet.pdf']);
    await sim.waitFor(() => (client.channels.cache.get(OPS) as TextChannel).messages.cache.has(reply.id));
  });

  it('refuses a second initial response (40060) and one after the deadline (10062); the handle rejects', async () => {
    const errors: unknown[] = [];
    onInteraction = async (i) => {
      if (!i.isChatInputCommand()) return;
      if (i.commandName === 'twice') {
        await i.reply('first');
        // discord.js itself refuses a second reply, so send one as a confused bot would, past its checks.
        errors.push(await caught(client.rest.post(Routes.interactionCallback(i.id, i.token), { body: { type: 4, data: { content: 'again' } }, auth: false })));
      } else {
        await sleep(DEADLINE_MS + 100);
        errors.push(await caught(i.deferReply()));
      }
    };
    const twice = sim.interact({ name: 'twice' });
    await sim.waitFor(() => errors.length === 1);
    expect(errors[0]).toBeInstanceOf(DiscordAPIError);
    expect(errors[0]).toMatchObject({ status: 400, code: 40060, message: 'Interaction has already been acknowledged.' });
    expect(twice.attempts.map((a) => [a.type, a.status, a.code])).toEqual([[4, 204, undefined], [4, 400, 40060]]);
    expect(twice.content()).toBe('first');

    const late = sim.interact({ name: 'slow' });
    // Until the interaction is acknowledged its webhook does not exist.
    expect(await caught(rest.post(Routes.webhook(sim.applicationId, late.token), { body: { content: 'early' }, auth: false }))).toMatchObject({ status: 404, code: 10015 });
    await expect(late.callback).rejects.toThrow(`got no initial response within ${DEADLINE_MS} ms`);
    await sim.waitFor(() => errors.length === 2);
    expect(errors[1]).toMatchObject({ status: 404, code: 10062, message: 'Unknown interaction' });
    expect(late.attempts[0]!.afterMs).toBeGreaterThan(DEADLINE_MS);
    expect(late.original()).toBeUndefined();
  });

  it('answers withResponse with the callback resource, and deleteReply removes the response', async () => {
    const seen: unknown[] = [];
    onInteraction = async (i) => {
      if (!i.isChatInputCommand()) return;
      const response = await i.reply({ content: 'r1: down 4 min', withResponse: true });
      seen.push(response.interaction.responseMessageId, response.resource?.message?.content);
      await i.deleteReply();
    };
    const handle = sim.interact({ name: 'status' });
    await handle.callback;
    const id = await sim.waitFor(() => seen[0] as string | undefined);
    await sim.waitFor(() => !sim.messages.has(id));
    expect(seen).toEqual([id, 'r1: down 4 min']);
    expect(sim.callsTo('POST /interactions/:interaction/:token/callback').at(-1)).toMatchObject({ query: { with_response: 'true' }, status: 200 });
    expect(handle.original()).toBeUndefined();
    await sim.waitFor(() => !(client.channels.cache.get(OPS) as TextChannel).messages.cache.has(id)); // MESSAGE_DELETE
  });

  it('button clicks: deferUpdate + message.edit, deferUpdate + editReply, update() all change the clicked message in place', async () => {
    const ops = client.channels.cache.get(OPS) as TextChannel;
    const posted = await ops.send({ content: 'r1 down', components: [row('ack:r1', 'page:r1')] });
    onInteraction = async (i) => {
      if (!i.isButton()) return;
      const by = i.user.username;
      if (i.customId === 'ack:r1') {
        await i.deferUpdate();
        await i.message.edit({ content: `r1 acknowledged by ${by}`, components: [row('resolve:r1')] });
      } else if (i.customId === 'resolve:r1') {
        await i.deferUpdate();
        await i.editReply({ content: `r1 resolved by ${by}`, components: [row('reopen:r1')] });
      } else {
        await i.update({ content: `r1 reopened by ${by}`, components: [] });
      }
    };
    const ack = sim.interact({ customId: 'ack:r1', message: posted.id, member: 'bob' });
    expect(ack.payload).toMatchObject({ type: 3, data: { custom_id: 'ack:r1', component_type: 2 }, message: { id: posted.id, channel_id: OPS } });
    expect(await ack.callback).toMatchObject({ type: 6 });
    await sim.waitFor(() => ack.content() === 'r1 acknowledged by bob');
    expect(() => sim.interact({ customId: 'ack:r1', message: posted.id })).toThrow(/no enabled button ack:r1/);

    const resolve = sim.interact({ customId: 'resolve:r1', message: posted.id, member: 'alice' });
    await sim.waitFor(() => resolve.content() === 'r1 resolved by alice');
    const reopen = sim.interact({ customId: 'reopen:r1', message: posted.id });
    expect(await reopen.callback).toMatchObject({ type: 7, data: { content: 'r1 reopened by alice', components: [] } });
    expect(sim.messages.get(posted.id)).toMatchObject({ content: 'r1 reopened by alice', components: [], edited_timestamp: expect.any(String) });
    expect(sim.messagesIn(OPS).filter((m) => BigInt(m.id) >= BigInt(posted.id))).toHaveLength(1); // edited in place, never reposted
  });

  it('asks the bot to reconnect (op 7): discord.js RESUMEs and gets the events it missed', async () => {
    const session = sim.sessions[0]!;
    sim.requestReconnect();
    await sim.waitFor(() => session.state === 'resumable');
    expect(session.closeCode).toBe(4200); // discord.js closes to resume
    const missed = (await rest.post(Routes.guildChannels(GUILD), { body: { name: 'while-away' } })) as APIChannel;
    await sim.waitFor(() => session.resumes === 1 && session.state === 'open');
    await sim.waitFor(() => client.channels.cache.has(missed.id));
    expect(sim.sessions).toHaveLength(1);
    onInteraction = (i) => (i.isChatInputCommand() ? i.reply('still here').then(() => undefined) : Promise.resolve());
    expect(await sim.interact({ name: 'ping' }).callback).toMatchObject({ type: 4 });
  });

  it('refuses a wrong token: login rejects (REST 401) and IDENTIFY with it is closed with 4004', async () => {
    const stranger = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: sim.apiUrl } });
    await expect(stranger.login('not-the-token')).rejects.toThrow('An invalid token was provided.');
    expect(sim.calls.filter((c) => c.path === '/gateway/bot').at(-1)!.status).toBe(401);

    const ws = new WebSocket(`${sim.gatewayUrl}?v=10&encoding=json`);
    const closed = new Promise<[number, string]>((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])));
    const hello = await new Promise<{ op: number; d: { heartbeat_interval: number } }>((resolve) => ws.once('message', (m) => resolve(JSON.parse((m as Buffer).toString()))));
    expect(hello).toMatchObject({ op: 10, d: { heartbeat_interval: 100 } });
    ws.send(JSON.stringify({ op: 2, d: { token: 'nope', intents: 1, properties: { os: 'linux', browser: 'x', device: 'x' } } }));
    expect(await closed).toEqual([4004, 'Authentication failed.']);
  });

  it('closes with 4014 when the bot asks for a privileged intent the app was not granted', async () => {
    const greedy = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.MessageContent], rest: { api: sim.apiUrl } });
    await expect(greedy.login(sim.botToken)).rejects.toThrow('Used disallowed intents');
    expect(sim.sessions).toHaveLength(1);
  });
});

describe('Discord simulator: REST with @discordjs/rest', () => {
  it('creates channels in a category with permission overwrites (names as Discord makes them, duplicates allowed)', async () => {
    const bot = sim.applicationId;
    const overwrites = [
      { id: GUILD, type: OverwriteType.Role, allow: '0', deny: PermissionFlagsBits.ViewChannel.toString() },
      { id: NETOPS, type: OverwriteType.Role, allow: (PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages).toString(), deny: '0' },
      { id: bot, type: OverwriteType.Member, allow: PermissionFlagsBits.ViewChannel.toString(), deny: '0' },
    ];
    const body = { name: 'Inc R1 7f3a', type: ChannelType.GuildText, parent_id: CATEGORY, topic: 'r1 down since 12:00', permission_overwrites: overwrites };
    const created = (await rest.post(Routes.guildChannels(GUILD), { body })) as APIChannel;
    expect(created).toMatchObject({ name: 'inc-r1-7f3a', type: 0, guild_id: GUILD, parent_id: CATEGORY, topic: 'r1 down since 12:00', permission_overwrites: overwrites });
    const again = (await rest.post(Routes.guildChannels(GUILD), { body })) as APIChannel;
    expect(again.id).not.toBe(created.id);
    expect(sim.channel('inc-r1-7f3a')!.id).toBe(again.id);
    expect((await rest.get(Routes.channel(created.id))) as APIChannel).toEqual(created);
    // The bot's cache follows through CHANNEL_CREATE.
    await sim.waitFor(() => client.channels.cache.get(created.id)?.type === ChannelType.GuildText);

    await rest.put(Routes.channelPermission(CATEGORY, NETOPS), { body: { type: OverwriteType.Role, allow: PermissionFlagsBits.ViewChannel.toString(), deny: '0' } });
    const synced = (await rest.post(Routes.guildChannels(GUILD), { body: { name: 'inc-r2', parent_id: CATEGORY } })) as APIChannel;
    expect(synced).toMatchObject({ permission_overwrites: [{ id: NETOPS, type: 0, allow: PermissionFlagsBits.ViewChannel.toString(), deny: '0' }] });
    await rest.patch(Routes.channel(synced.id), { body: { name: 'inc-r2-resolved', topic: 'resolved', parent_id: null, archived: true } });
    expect(sim.channel(synced.id)).toMatchObject({ name: 'inc-r2-resolved', topic: 'resolved', parent_id: null, archived: true });
    await rest.delete(Routes.channelPermission(CATEGORY, NETOPS));
    expect(sim.channel(CATEGORY)!.permission_overwrites).toEqual([]);

    const e = await caught(rest.post(Routes.guildChannels(GUILD), { body: { name: 'x', parent_id: OPS } }));
    expect(e).toMatchObject({ status: 400, code: 50035, rawError: { errors: { parent_id: { _errors: [{ code: 'CHANNEL_PARENT_INVALID_TYPE' }] } } } });
    expect(await caught(rest.get(Routes.channel('1')))).toMatchObject({ status: 404, code: 10003, message: 'Unknown Channel' });
    expect(((await rest.get(Routes.guildRoles(GUILD))) as { name: string }[]).map((r) => r.name)).toContain('netops');
    expect(await rest.get(Routes.guildMember(GUILD, '1300000000000000101'))).toMatchObject({ user: { username: 'bob' }, roles: [NETOPS] });
    expect(await caught(rest.get(Routes.guildMember(GUILD, '1')))).toMatchObject({ status: 404, code: 10007 });
  });

  it('posts a message with an embed and a row of buttons, edits it in place, pins it; lists newest first', async () => {
    const embed = new EmbedBuilder().setTitle('r1 down').setDescription('loss 100%').addFields({ name: 'since', value: '12:00' }).setFooter({ text: 'StateTrace' });
    const posted = (await rest.post(Routes.channelMessages(OPS), { body: { content: 'incident', embeds: [embed.toJSON()], components: [row('ack:r9').toJSON()] } })) as APIMessage;
    expect(posted).toMatchObject({ channel_id: OPS, author: { id: sim.applicationId, bot: true }, embeds: [{ type: 'rich', title: 'r1 down' }], components: [{ type: 1, components: [{ custom_id: 'ack:r9' }] }] });
    const edited = (await rest.patch(Routes.channelMessage(OPS, posted.id), { body: { embeds: [embed.setTitle('r1 acknowledged').toJSON()] } })) as APIMessage;
    expect(edited).toMatchObject({ id: posted.id, content: 'incident', embeds: [{ title: 'r1 acknowledged' }], edited_timestamp: expect.any(String) });
    await rest.put(Routes.channelMessagesPin(OPS, posted.id));
    expect(sim.pinsIn(OPS).map((m) => m.id)).toEqual([posted.id]);
    expect(((await rest.get(Routes.channelPins(OPS))) as APIMessage[]).map((m) => m.id)).toEqual([posted.id]);
    expect(await rest.get(Routes.channelMessagesPins(OPS))).toMatchObject({ items: [{ pinned_at: expect.any(String), message: { id: posted.id, pinned: true } }], has_more: false });
    // Discord announces the pin with a system message; history is newest first.
    const history = (await rest.get(Routes.channelMessages(OPS), { query: new URLSearchParams({ limit: '2' }) })) as APIMessage[];
    expect(history.map((m) => [m.type, m.message_reference?.message_id ?? m.id])).toEqual([[6, posted.id], [0, posted.id]]);
    expect(await rest.get(Routes.channelMessage(OPS, posted.id))).toMatchObject({ pinned: true });
    // An edit may not leave a message empty.
    expect(await caught(rest.patch(Routes.channelMessage(OPS, posted.id), { body: { content: '', embeds: [], components: [] } }))).toMatchObject({ status: 400, code: 50006 });
    expect(await caught(rest.get(Routes.channelMessage(OPS, '1')))).toMatchObject({ status: 404, code: 10008, message: 'Unknown Message' });
  });

  it('with enforce_nonce, answers a repeated nonce with the message already made for it and makes no other', async () => {
    const body = { content: 'r1 down', nonce: 'r1-7f3a-alert', enforce_nonce: true };
    const [a, b] = (await Promise.all([rest.post(Routes.channelMessages(OPS), { body }), rest.post(Routes.channelMessages(OPS), { body })])) as APIMessage[];
    expect(a!.id).toBe(b!.id);
    expect(a).toMatchObject({ nonce: 'r1-7f3a-alert', content: 'r1 down' });
    expect(sim.messagesIn(OPS).filter((m) => m.nonce === 'r1-7f3a-alert')).toHaveLength(1);
    // Without enforce_nonce a nonce does not deduplicate; a nonce is at most 25 characters.
    const again = (await rest.post(Routes.channelMessages(OPS), { body: { ...body, enforce_nonce: false } })) as APIMessage;
    expect(again.id).not.toBe(a!.id);
    expect(await caught(rest.post(Routes.channelMessages(OPS), { body: { content: 'x', nonce: 'n'.repeat(26) } }))).toMatchObject({ code: 50035, rawError: { errors: { nonce: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } });
  });

  it('refuses what Discord refuses, with its codes: form limits (50035), empty (50006), non-text channel (50008), no token (401)', async () => {
    const long = (n: number) => 'x'.repeat(n);
    const e = await caught(
      rest.post(Routes.channelMessages(OPS), {
        body: {
          content: long(2001),
          embeds: [{ title: long(257), fields: [{ name: '', value: long(1025) }], footer: { text: long(2049) } }],
          components: [{ type: 1, components: ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ type: 2, style: 1, custom_id: id === 'f' ? long(101) : id, label: long(81) })) }],
        },
      }),
    );
    expect(e).toBeInstanceOf(DiscordAPIError);
    expect(e).toMatchObject({ status: 400, code: 50035, message: expect.stringContaining('Invalid Form Body') });
    const errors = (e as DiscordAPIError).rawError as { errors: Record<string, unknown> };
    const max = (n: number) => ({ _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${n} or fewer in length.` }] });
    expect(errors.errors).toEqual({
      content: max(2000),
      embeds: { 0: { title: max(256), footer: { text: max(2048) }, fields: { 0: { name: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] }, value: max(1024) } } } },
      components: { 0: { components: { ...max(5), ...Object.fromEntries([0, 1, 2, 3, 4, 5].map((j) => [j, { label: max(80), ...(j === 5 && { custom_id: max(100) }) }])) } } },
    });
    const big = Array.from({ length: 4 }, () => ({ description: long(1600) }));
    expect(await caught(rest.post(Routes.channelMessages(OPS), { body: { embeds: big } }))).toMatchObject({ rawError: { errors: { embeds: { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED' }] } } } });
    expect(await caught(rest.post(Routes.channelMessages(OPS), { body: { components: [row('same', 'same').toJSON()] } }))).toMatchObject({ code: 50035, rawError: { errors: { components: { 0: { components: { 1: { custom_id: { _errors: [{ code: 'COMPONENT_CUSTOM_ID_DUPLICATED' }] } } } } } } } });
    expect(await caught(rest.post(Routes.channelMessages(OPS), { body: { content: '' } }))).toMatchObject({ status: 400, code: 50006 });
    expect(await caught(rest.post(Routes.channelMessages(CATEGORY), { body: { content: 'x' } }))).toMatchObject({ status: 400, code: 50008 });
    expect(await caught(new REST({ api: sim.apiUrl }).setToken('wrong').get(Routes.user()))).toMatchObject({ status: 401, code: 0, message: '401: Unauthorized' });
    expect(await rest.get(Routes.user())).toMatchObject({ id: sim.applicationId, bot: true });
    expect(await rest.get(Routes.user(encodeURIComponent('@me')))).toMatchObject({ id: sim.applicationId }); // paths are read decoded
    expect(sim.calls.at(-1)).toMatchObject({ path: '/users/%40me', route: '/users/@me' });
  });

  it('enforces the bot’s permissions: a channel hidden from it is 50001 Missing Access, one it may not post in 50013', async () => {
    const hideFrom = (id: string, type: OverwriteType) => ({ id, type, allow: '0', deny: PermissionFlagsBits.ViewChannel.toString() });
    const hidden = (await rest.post(Routes.guildChannels(GUILD), { body: { name: 'secret', permission_overwrites: [hideFrom(GUILD, OverwriteType.Role)] } })) as APIChannel;
    expect(await caught(rest.post(Routes.channelMessages(hidden.id), { body: { content: 'x' } }))).toMatchObject({ status: 403, code: 50001, message: 'Missing Access' });
    // Nor can it let itself in afterwards: a private channel must allow the bot when it is made.
    const letMeIn = { type: OverwriteType.Member, allow: PermissionFlagsBits.ViewChannel.toString(), deny: '0' };
    expect(await caught(rest.put(Routes.channelPermission(hidden.id, sim.applicationId), { body: letMeIn }))).toMatchObject({ status: 403, code: 50001 });
    const muted = (await rest.post(Routes.guildChannels(GUILD), {
      body: { name: 'muted', permission_overwrites: [{ id: sim.applicationId, type: OverwriteType.Member, allow: '0', deny: PermissionFlagsBits.SendMessages.toString() }] },
    })) as APIChannel;
    expect(await caught(rest.post(Routes.channelMessages(muted.id), { body: { content: 'x' } }))).toMatchObject({ status: 403, code: 50013, message: 'Missing Permissions' });
    await rest.delete(Routes.channelPermission(muted.id, sim.applicationId));
    expect(await rest.post(Routes.channelMessages(muted.id), { body: { content: 'x' } })).toMatchObject({ content: 'x' });
  });

  it('fails on demand: after a 429 @discordjs/rest waits retry_after and succeeds; 502 is retried; any error code', async () => {
    sim.failNext('POST /channels/:channel/messages', { status: 429, retryAfterSec: 1 });
    await rest.post(Routes.channelMessages(OPS), { body: { content: 'after the limit' } });
    const [limited, passed] = sim.callsTo('POST /channels/:channel/messages').slice(-2);
    expect([limited!.status, passed!.status]).toEqual([429, 200]);
    expect(passed!.at - limited!.at).toBeGreaterThanOrEqual(1000);
    expect(passed!.body).toEqual({ content: 'after the limit' });

    // Discord's rate-limit headers come with every answer, so a client that refuses to wait knows the bucket is spent.
    const impatient = new REST({ api: sim.apiUrl, rejectOnRateLimit: () => true, offset: 0 }).setToken(sim.botToken);
    await impatient.post(Routes.channelMessages(OPS), { body: { content: 'learns the bucket' } });
    sim.failNext('POST /channels/:channel/messages', { status: 429, retryAfterSec: 1 });
    const refused = await caught(impatient.post(Routes.channelMessages(OPS), { body: { content: 'limited' } }));
    expect(refused).toBeInstanceOf(RateLimitError);
    expect(refused).toMatchObject({ retryAfter: 1000 });
    const calls = sim.calls.length;
    expect(await caught(impatient.post(Routes.channelMessages(OPS), { body: { content: 'still limited' } }))).toBeInstanceOf(RateLimitError);
    expect(sim.calls.length).toBe(calls); // refused by the client, without asking

    sim.failNext(/^PATCH \/channels\/\d+$/, { status: 502 });
    await rest.patch(Routes.channel(OPS), { body: { topic: 'ops room' } });
    expect(sim.callsTo('PATCH /channels/:channel').map((c) => c.status).slice(-2)).toEqual([502, 200]);

    sim.failNext('/channels/:channel/messages', { status: 403, code: 50013, message: 'Missing Permissions' });
    expect(await caught(rest.post(Routes.channelMessages(OPS), { body: { content: 'x' } }))).toMatchObject({ status: 403, code: 50013 });
  });

  it('overwrites guild commands in bulk (ids kept by name), lists and creates them, refuses invalid ones; interactions use their option types', async () => {
    const route = Routes.applicationGuildCommands(sim.applicationId, GUILD);
    const statetrace = {
      name: 'statetrace',
      description: 'Route outages',
      options: [{ type: 1, name: 'status', description: 'A route’s state', options: [{ type: 3, name: 'route', description: 'Route', required: true }, { type: 10, name: 'hours', description: 'Window' }] }],
    };
    const first = (await rest.put(route, { body: [statetrace, { name: 'ack', description: 'Acknowledge' }] })) as { id: string; name: string }[];
    expect(first).toMatchObject([{ name: 'statetrace', type: 1, application_id: sim.applicationId, guild_id: GUILD, id: expect.any(String) }, { name: 'ack' }]);
    const second = (await rest.put(route, { body: [statetrace] })) as { id: string }[];
    expect(second.map((c) => c.id)).toEqual([first[0]!.id]);
    expect(await rest.post(route, { body: { name: 'page', description: 'Page on-call' } })).toMatchObject({ name: 'page' });
    expect(((await rest.get(route)) as { name: string }[]).map((c) => c.name)).toEqual(['statetrace', 'page']);
    expect(sim.commandsOf(GUILD)).toHaveLength(2);

    const bad = await caught(rest.put(route, { body: [{ name: 'Bad Name', description: long101() }, { name: 'ok', description: 'ok', options: [{ type: 3, name: 'a', description: 'a' }, { type: 3, name: 'b', description: 'b', required: true }] }] }));
    expect(bad).toMatchObject({
      code: 50035,
      rawError: { errors: { 0: { name: { _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME' }] }, description: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH' }] } }, 1: { options: { _errors: [{ code: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID' }] } } } },
    });
    expect(sim.commandsOf(GUILD)).toHaveLength(2); // nothing changed
    expect(await caught(rest.get(Routes.applicationGuildCommands('1', GUILD)))).toMatchObject({ status: 403, code: 50001 });

    // A registered NUMBER option stays a number even with an integral value.
    let hours: number | null = null;
    onInteraction = async (i) => {
      if (!i.isChatInputCommand()) return;
      hours = i.options.getNumber('hours');
      await i.reply({ content: 'ok', flags: MessageFlags.Ephemeral });
    };
    const handle = sim.interact({ name: 'statetrace', subcommand: 'status', options: { route: 'r1', hours: 2 } });
    expect(handle.payload.data).toMatchObject({ id: first[0]!.id, options: [{ options: [{ name: 'route', type: 3 }, { name: 'hours', type: 10, value: 2 }] }] });
    await handle.callback;
    expect(hours).toBe(2);
  });

  it('resets to the configured guild', async () => {
    sim.reset();
    expect([sim.calls.length, sim.interactions.length, sim.messages.size, sim.commandsOf(GUILD).length]).toEqual([0, 0, 0, 0]);
    expect([...sim.channels.values()].map((c) => c.name)).toEqual(['incidents', 'ops']);
    expect(sim.sessions[0]!.state).toBe('open'); // the bot stays connected
    expect(await rest.get(Routes.guildChannels(GUILD))).toHaveLength(2);
  });
});

function long101(): string {
  return 'd'.repeat(101);
}
