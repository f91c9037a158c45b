import {
  ChannelType,
  Locale,
  OverwriteType,
  PermissionFlagsBits,
  type APIGuildCategoryChannel,
  type APIGuildMember,
  type APIOverwrite,
  type APIRole,
  type APITextChannel,
  type APIUser,
  type GatewayGuildCreateDispatchData,
  type GuildMemberFlags,
  type GuildSystemChannelFlags,
  type RoleFlags,
  type UserFlags,
} from 'discord.js';

/**
 * The guild side of the Discord simulator: the configuration a test gives, the API objects
 * (users, roles, members, channels) Discord would send for it, snowflakes, and Discord's
 * permission arithmetic (base permissions from roles, then channel overwrites).
 */
export interface SimUserConfig {
  id: string;
  username: string;
  global_name?: string | null;
}

export interface SimRoleConfig {
  id: string;
  name: string;
  /** A permission bitfield as a decimal string (Discord's wire form); none if absent. */
  permissions?: string;
}

export interface SimMemberConfig {
  user: SimUserConfig;
  /** Role ids (not counting @everyone, which every member has). */
  roles?: string[];
  nick?: string | null;
}

export interface SimChannelConfig {
  id: string;
  name: string;
  type: ChannelType.GuildText | ChannelType.GuildCategory;
  parent_id?: string | null;
  topic?: string | null;
  permission_overwrites?: APIOverwrite[];
}

export interface SimGuildConfig {
  id: string;
  name: string;
  /** The owner has every permission, overwrites or not; by default someone not among `members`, so they all are bound by them. */
  owner_id?: string;
  /** Roles besides @everyone (whose id is the guild's, as on Discord; give it here to set its permissions). */
  roles?: SimRoleConfig[];
  members?: SimMemberConfig[];
  channels?: SimChannelConfig[];
}

/** A text channel or category as Discord serves it (plus any thread-only fields a PATCH carried, stored as given). */
export type SimChannel = (APITextChannel | APIGuildCategoryChannel) & { archived?: boolean; locked?: boolean };

/** A guild's state: its roles and members (the bot among them); its channels live in the simulator's channel map. */
export interface SimGuild {
  id: string;
  name: string;
  owner_id: string;
  joined_at: string;
  roles: APIRole[];
  members: Map<string, APIGuildMember>;
}

const P = PermissionFlagsBits;
export const ALL_PERMISSIONS = Object.values(P).reduce((a, b) => a | b, 0n);
/** What @everyone may do in a new Discord server (roughly: see, talk, use commands). */
export const EVERYONE_DEFAULT = P.ViewChannel | P.SendMessages | P.ReadMessageHistory | P.AddReactions | P.UseApplicationCommands | P.EmbedLinks | P.AttachFiles | P.Connect | P.Speak;
/** What a bot is usually invited with: post and manage its incident channels, roles on them, pins. */
export const BOT_DEFAULT = P.ViewChannel | P.SendMessages | P.EmbedLinks | P.AttachFiles | P.ReadMessageHistory | P.ManageChannels | P.ManageRoles | P.ManageMessages | P.PinMessages | P.UseApplicationCommands;

export const DEFAULT_GUILD: SimGuildConfig = {
  id: '1300000000000000001',
  name: 'StateTrace Sim',
  roles: [
    { id: '1300000000000000010', name: 'netops' },
    { id: '1300000000000000011', name: 'viewer' },
  ],
  members: [
    { user: { id: '1300000000000000100', username: 'alice', global_name: 'Alice Admin' }, roles: ['1300000000000000010'] },
    { user: { id: '1300000000000000101', username: 'bob', global_name: 'Bob Responder' }, roles: ['1300000000000000010'] },
    { user: { id: '1300000000000000102', username: 'viv', global_name: 'Viv Viewer' }, roles: ['1300000000000000011'] },
  ],
  channels: [
    { id: '1300000000000000200', name: 'incidents', type: ChannelType.GuildCategory },
    { id: '1300000000000000201', name: 'ops', type: ChannelType.GuildText, parent_id: null },
  ],
};

/** The default owner of a guild: a person the tests never act as. */
const ABSENT_OWNER = '1000000000000000001';

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;
/** A snowflake for now (or `ms`): discord.js reads creation times out of ids. */
export function snowflake(ms = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(ms) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

export function apiUser(u: SimUserConfig, bot = false): APIUser {
  return { id: u.id, username: u.username, global_name: u.global_name ?? null, discriminator: '0', avatar: null, public_flags: 0 as UserFlags, ...(bot && { bot: true }) };
}

export function apiMember(user: APIUser, roles: string[], joinedAt: string, nick: string | null = null): APIGuildMember {
  return { user, nick, avatar: null, banner: null, roles, joined_at: joinedAt, premium_since: null, deaf: false, mute: false, flags: 0 as GuildMemberFlags, pending: false, communication_disabled_until: null };
}

export function apiRole(id: string, name: string, permissions: bigint, position: number, botId?: string): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: permissions.toString(),
    managed: botId !== undefined,
    mentionable: false,
    flags: 0 as RoleFlags,
    ...(botId !== undefined && { tags: { bot_id: botId } }),
  };
}

export function apiChannel(guildId: string, c: SimChannelConfig, position: number): SimChannel {
  const base = { id: c.id, guild_id: guildId, name: c.name, position, permission_overwrites: c.permission_overwrites ?? [], nsfw: false, flags: 0 };
  if (c.type === ChannelType.GuildCategory) return { ...base, type: ChannelType.GuildCategory, parent_id: null };
  return { ...base, type: ChannelType.GuildText, parent_id: c.parent_id ?? null, topic: c.topic ?? null, last_message_id: null, rate_limit_per_user: 0 };
}

/**
 * A guild from its configuration, the bot a member of it through a managed role with
 * `botPermissions` (as when a bot is invited with permissions), whose id is `botRoleId`.
 */
export function buildGuild(config: SimGuildConfig, bot: APIUser, botPermissions: bigint, botRoleId: string): { guild: SimGuild; channels: SimChannel[] } {
  const joinedAt = new Date().toISOString();
  const everyone = config.roles?.find((r) => r.id === config.id);
  const roles = [apiRole(config.id, '@everyone', everyone?.permissions ? BigInt(everyone.permissions) : EVERYONE_DEFAULT, 0)];
  for (const r of config.roles ?? []) if (r !== everyone) roles.push(apiRole(r.id, r.name, BigInt(r.permissions ?? '0'), roles.length));
  const botRole = apiRole(botRoleId, bot.username, botPermissions, roles.length, bot.id);
  roles.push(botRole);
  const members = new Map<string, APIGuildMember>();
  for (const m of config.members ?? []) members.set(m.user.id, apiMember(apiUser(m.user), m.roles ?? [], joinedAt, m.nick));
  members.set(bot.id, apiMember(bot, [botRole.id], joinedAt));
  const channels = (config.channels ?? []).map((c, i) => apiChannel(config.id, c, i));
  return { guild: { id: config.id, name: config.name, owner_id: config.owner_id ?? ABSENT_OWNER, joined_at: joinedAt, roles, members }, channels };
}

/**
 * Discord's permission computation: @everyone's and the member's roles' permissions (all of them
 * for the owner or an Administrator); in a channel, then the @everyone overwrite, the member's
 * roles' overwrites together, and the member's own overwrite, each denying before allowing.
 */
export function permissionsOf(guild: SimGuild, member: APIGuildMember, channel?: SimChannel): bigint {
  if (member.user.id === guild.owner_id) return ALL_PERMISSIONS;
  let perms = 0n;
  for (const r of guild.roles) if (r.id === guild.id || member.roles.includes(r.id)) perms |= BigInt(r.permissions);
  if (perms & P.Administrator) return ALL_PERMISSIONS;
  if (!channel) return perms;
  const apply = (ows: APIOverwrite[]) => {
    const deny = ows.reduce((a, o) => a | BigInt(o.deny), 0n);
    const allow = ows.reduce((a, o) => a | BigInt(o.allow), 0n);
    perms = (perms & ~deny) | allow;
  };
  const ows = channel.permission_overwrites ?? [];
  apply(ows.filter((o) => o.id === guild.id));
  apply(ows.filter((o) => o.type === OverwriteType.Role && o.id !== guild.id && member.roles.includes(o.id)));
  apply(ows.filter((o) => o.type === OverwriteType.Member && o.id === member.user.id));
  return perms;
}

/**
 * GUILD_CREATE as Discord sends it on connect. Without the GUILD_PRESENCES intent Discord
 * lists only the bot's own member (and people in voice, which the simulator has none of).
 */
export function guildCreate(guild: SimGuild, channels: SimChannel[], botId: string, withAllMembers: boolean): GatewayGuildCreateDispatchData {
  const members = [...guild.members.values()].filter((m) => withAllMembers || m.user.id === botId);
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: guild.owner_id,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: guild.roles,
    emojis: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0 as GuildSystemChannelFlags,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null,
    nsfw_level: 0,
    stickers: [],
    premium_progress_bar_enabled: false,
    hub_type: null,
    safety_alerts_channel_id: null,
    incidents_data: null,
    joined_at: guild.joined_at,
    large: false,
    unavailable: false,
    member_count: guild.members.size,
    voice_states: [],
    members,
    channels,
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}
