import { randomBytes } from 'node:crypto';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ComponentType,
  InteractionContextType,
  InteractionType,
  Locale,
  type APIApplicationCommand,
  type APIChatInputApplicationCommandGuildInteraction,
  type APIGuildMember,
  type APIMessage,
  type APIMessageComponentGuildInteraction,
  type InteractionResponseType,
} from 'discord.js';
import type { MessageBody } from './discord-forms';
import { snowflake, type SimChannel, type SimMemberConfig } from './discord-guild';

/**
 * Interactions for the Discord simulator: what a test asks for (a slash command or a button
 * click), the INTERACTION_CREATE payload Discord would send for it in a guild, and the handle
 * through which the test watches the bot's answer (initial response, then edits and follow-ups).
 */
export interface CommandInput {
  name: string;
  subcommand?: string;
  /** Option values by name: strings, integers, other numbers, booleans (a registered command's option types win). */
  options?: Record<string, string | number | boolean>;
  /** Who runs it: a guild member's id or username, or any member (default: the guild's first member). */
  member?: string | SimMemberConfig;
  guildId?: string;
  /** Default: the guild's first text channel. */
  channelId?: string;
  locale?: Locale;
}

export interface ButtonInput {
  customId: string;
  /** The message the button is on, or its id (the button must be on it, and enabled). */
  message: string | { id: string };
  member?: string | SimMemberConfig;
  guildId?: string;
  locale?: Locale;
}

export type SimInteractionPayload = APIChatInputApplicationCommandGuildInteraction | APIMessageComponentGuildInteraction;

/** An accepted initial response to an interaction. */
export interface InteractionCallback {
  type: InteractionResponseType;
  data?: MessageBody;
  /** `data.flags` (64: ephemeral). */
  flags: number;
  at: number;
  /** Milliseconds after the interaction was dispatched. */
  afterMs: number;
}

/** An initial response as it was tried: accepted (204, or 200 `with_response`) or refused (404 10062, 400 40060, …). */
export interface CallbackAttempt {
  type: number;
  at: number;
  afterMs: number;
  status: number;
  code?: number;
}

/** A dispatched interaction, to watch how the bot answers it. */
export interface InteractionHandle {
  id: string;
  token: string;
  kind: 'command' | 'button';
  /** The INTERACTION_CREATE payload as sent. */
  payload: SimInteractionPayload;
  dispatchedAt: number;
  /** The first accepted initial response; rejects if none came within the deadline. */
  callback: Promise<InteractionCallback>;
  attempts: CallbackAttempt[];
  /** The message the person sees: a command's response (once there is one), a button's message. */
  original(): APIMessage | undefined;
  followUps(): APIMessage[];
  /** `original()`'s content now. */
  content(): string | undefined;
}

/** The simulator's record of an interaction: what the bot acknowledged, its messages, the deadline. */
export interface LiveInteraction {
  handle: InteractionHandle;
  acked?: InteractionCallback;
  /** `@original`: the response message, or for a button acknowledged with 6/7 the message clicked. */
  originalId?: string;
  followUpIds: string[];
  /** Settles `handle.callback`. */
  settle: { resolve: (c: InteractionCallback) => void; reject: (e: Error) => void };
  timer: NodeJS.Timeout;
}

/** Bots' upload limit per file (also interactions' `attachment_size_limit`). */
export const ATTACHMENT_LIMIT = 10 * 1024 * 1024;

/** Where and by whom an interaction happens, resolved by the simulator. */
export interface InteractionContext {
  applicationId: string;
  guildId: string;
  channel: SimChannel;
  member: APIGuildMember;
  /** The member's and the bot's permissions in the channel. */
  memberPermissions: bigint;
  appPermissions: bigint;
  locale?: Locale;
}

type What = { command: APIChatInputApplicationCommandGuildInteraction['data'] } | { clicked: APIMessage; customId: string };

/** INTERACTION_CREATE's payload as Discord sends it in a guild. */
export function interactionPayload(ctx: InteractionContext, what: What): SimInteractionPayload {
  const id = snowflake();
  const permissions = ctx.memberPermissions.toString();
  // Interactions carry the channel without its overwrites, with the member's permissions in it.
  const { permission_overwrites: _overwrites, ...channel } = ctx.channel;
  const base = {
    id,
    application_id: ctx.applicationId,
    // Discord's tokens are base64 of "interaction:<id>:<secret>".
    token: Buffer.from(`interaction:${id}:${randomBytes(48).toString('base64url')}`).toString('base64url'),
    version: 1 as const,
    guild_id: ctx.guildId,
    guild: { id: ctx.guildId, locale: Locale.EnglishUS, features: [] },
    guild_locale: Locale.EnglishUS,
    channel: { ...channel, permissions },
    channel_id: ctx.channel.id,
    member: { ...ctx.member, permissions },
    locale: ctx.locale ?? Locale.EnglishUS,
    app_permissions: ctx.appPermissions.toString(),
    entitlements: [],
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: ctx.guildId },
    context: InteractionContextType.Guild,
    attachment_size_limit: ATTACHMENT_LIMIT,
  };
  if ('command' in what) return { ...base, type: InteractionType.ApplicationCommand, data: what.command };
  return { ...base, type: InteractionType.MessageComponent, message: what.clicked, data: { custom_id: what.customId, component_type: ComponentType.Button } };
}

/** A slash command's `data`, its options typed as the registered command declares them, else by their values. */
export function commandData(input: CommandInput, guildId: string, registered?: APIApplicationCommand): APIChatInputApplicationCommandGuildInteraction['data'] {
  const sub = registered?.options?.find((o) => o.name === input.subcommand);
  const schema = (sub && 'options' in sub ? sub.options : registered?.options) ?? [];
  const T = ApplicationCommandOptionType;
  const values = Object.entries(input.options ?? {}).map(([name, value]) => {
    const inferred = typeof value === 'string' ? T.String : typeof value === 'boolean' ? T.Boolean : Number.isInteger(value) ? T.Integer : T.Number;
    return { name, type: schema.find((o) => o.name === name)?.type ?? inferred, value };
  });
  const options = input.subcommand ? [{ name: input.subcommand, type: T.Subcommand, options: values }] : values;
  return {
    id: registered?.id ?? snowflake(),
    name: input.name,
    type: ApplicationCommandType.ChatInput,
    guild_id: guildId,
    ...(options.length > 0 && { options }),
  } as APIChatInputApplicationCommandGuildInteraction['data'];
}

/** The record and handle of a dispatched interaction; `handle.callback` rejects if it is not acknowledged within `deadlineMs`. */
export function liveInteraction(payload: SimInteractionPayload, deadlineMs: number, messages: Map<string, APIMessage>): LiveInteraction {
  let settle!: LiveInteraction['settle'];
  const callback = new Promise<InteractionCallback>((resolve, reject) => (settle = { resolve, reject }));
  callback.catch(() => undefined); // a test that never awaits it must not see an unhandled rejection
  const clickedId = payload.type === InteractionType.MessageComponent ? payload.message.id : undefined;
  const live: LiveInteraction = {
    followUpIds: [],
    settle,
    timer: setTimeout(() => settle.reject(new Error(`interaction ${payload.id} got no initial response within ${deadlineMs} ms`)), deadlineMs),
    handle: {
      id: payload.id,
      token: payload.token,
      kind: clickedId ? 'button' : 'command',
      payload,
      dispatchedAt: Date.now(),
      callback,
      attempts: [],
      original: () => messages.get(live.originalId ?? clickedId ?? ''),
      followUps: () => live.followUpIds.flatMap((id) => messages.get(id) ?? []),
      content: () => live.handle.original()?.content,
    },
  };
  return live;
}
