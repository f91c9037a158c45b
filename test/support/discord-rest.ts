import type { IncomingMessage } from 'node:http';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ComponentType,
  type APIApplicationCommandOption,
  type APIEmbed,
  type APIMessageTopLevelComponent,
  type RESTPutAPIApplicationGuildCommandsJSONBody,
} from 'discord.js';

/**
 * The HTTP side of the Discord simulator: Discord's JSON error bodies (`{message, code}` and
 * Invalid Form Body's nested `errors`), request bodies as @discordjs/rest sends them (JSON, or
 * multipart/form-data with `payload_json` and `files[n]`), and the form checks Discord makes on
 * messages and application commands, with its limits.
 */

/** A refused request, answered as Discord does: `{message, code}` (+ `errors` for 50035). */
export class DiscordApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: Record<string, unknown>,
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { message: this.message, code: this.code, ...(this.errors && { errors: this.errors }) };
  }
}

/** Discord's JSON error codes the simulator answers with. */
export const unauthorized = () => new DiscordApiError(401, 0, '401: Unauthorized');
export const notFound = () => new DiscordApiError(404, 0, '404: Not Found');
export const unknownChannel = () => new DiscordApiError(404, 10003, 'Unknown Channel');
export const unknownGuild = () => new DiscordApiError(404, 10004, 'Unknown Guild');
export const unknownMember = () => new DiscordApiError(404, 10007, 'Unknown Member');
export const unknownMessage = () => new DiscordApiError(404, 10008, 'Unknown Message');
export const unknownWebhook = () => new DiscordApiError(404, 10015, 'Unknown Webhook');
export const unknownInteraction = () => new DiscordApiError(404, 10062, 'Unknown interaction');
export const alreadyAcknowledged = () => new DiscordApiError(400, 40060, 'Interaction has already been acknowledged.');
export const missingAccess = () => new DiscordApiError(403, 50001, 'Missing Access');
export const missingPermissions = () => new DiscordApiError(403, 50013, 'Missing Permissions');

/** One Invalid Form Body complaint: where (dotted path into the body), Discord's code, its text. */
export type FormError = [path: string, code: string, message: string];

/** 400 Invalid Form Body (50035), with the complaints nested the way Discord nests them. */
export function invalidFormBody(errors: FormError[]): DiscordApiError {
  const tree: Record<string, unknown> = {};
  for (const [path, code, message] of errors) {
    let node = tree;
    for (const key of path.split('.')) node = (node[key] ??= {}) as Record<string, unknown>;
    ((node._errors ??= []) as unknown[]).push({ code, message });
  }
  return new DiscordApiError(400, 50035, 'Invalid Form Body', tree);
}

const tooLong = (path: string, max: number): FormError => [path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`];
const required = (path: string): FormError => [path, 'BASE_TYPE_REQUIRED', 'This field is required'];
const badLength = (path: string, min: number, max: number): FormError => [path, 'BASE_TYPE_BAD_LENGTH', `Must be between ${min} and ${max} in length.`];

/** A file part of a multipart request. */
export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** A request's body: parsed JSON (or multipart's `payload_json`) and any uploaded files. */
export async function readBody(req: IncomingMessage): Promise<{ body: unknown; files: UploadedFile[] }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { body: undefined, files: [] };
  const json = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new DiscordApiError(400, 50109, 'The request body contains invalid JSON.');
    }
  };
  if (!type.startsWith('multipart/form-data')) return { body: json(raw.toString()), files: [] };
  // undici's multipart parser (Node's fetch) reads the form as @discordjs/rest's FormData wrote it.
  const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
  const files: UploadedFile[] = [];
  let body: unknown;
  for (const [field, value] of form) {
    if (typeof value === 'string') {
      if (field === 'payload_json') body = json(value);
    } else {
      files.push({ field, filename: value.name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
    }
  }
  return { body, files };
}

/** What a message body may carry (POST/PATCH message, interaction responses, webhook follow-ups). */
export interface MessageBody {
  content?: string;
  embeds?: APIEmbed[];
  components?: APIMessageTopLevelComponent[];
  flags?: number;
  attachments?: { id: string | number }[];
  tts?: boolean;
}

/** Discord's checks of a message body: lengths and counts of content, embeds and components. */
export function messageErrors(body: MessageBody): FormError[] {
  const errors: FormError[] = [];
  if (typeof body.content === 'string' && body.content.length > 2000) errors.push(tooLong('content', 2000));
  const embeds = body.embeds ?? [];
  if (embeds.length > 10) errors.push(tooLong('embeds', 10));
  let total = 0;
  embeds.forEach((e, i) => {
    const at = `embeds.${i}`;
    const limit = (path: string, value: string | undefined, max: number) => {
      total += value?.length ?? 0;
      if ((value?.length ?? 0) > max) errors.push(tooLong(`${at}.${path}`, max));
    };
    limit('title', e.title, 256);
    limit('description', e.description, 4096);
    limit('footer.text', e.footer?.text, 2048);
    limit('author.name', e.author?.name, 256);
    const fields = e.fields ?? [];
    if (fields.length > 25) errors.push(tooLong(`${at}.fields`, 25));
    fields.forEach((f, j) => {
      for (const [key, max] of [['name', 256], ['value', 1024]] as const) {
        if (!f[key]) errors.push(required(`${at}.fields.${j}.${key}`));
        limit(`fields.${j}.${key}`, f[key], max);
      }
    });
  });
  if (total > 6000) errors.push(['embeds', 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000']);
  const rows = body.components ?? [];
  if (rows.length > 5) errors.push(tooLong('components', 5));
  const customIds = new Set<string>();
  rows.forEach((row, i) => {
    // Only classic action rows of buttons (and selects) are modelled; Components V2 layouts are not.
    if (row.type !== ComponentType.ActionRow) return void errors.push([`components.${i}.type`, 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (1,).']);
    if (row.components.length > 5) errors.push(tooLong(`components.${i}.components`, 5));
    row.components.forEach((c, j) => {
      const at = `components.${i}.components.${j}`;
      if (c.type !== ComponentType.Button) return;
      if ('label' in c && (c.label?.length ?? 0) > 80) errors.push(tooLong(`${at}.label`, 80));
      if ('url' in c) return; // a link button (style 5) has a url and no custom_id
      if (!('custom_id' in c) || !c.custom_id) return void errors.push(required(`${at}.custom_id`));
      if (c.custom_id.length > 100) errors.push(tooLong(`${at}.custom_id`, 100));
      if (customIds.has(c.custom_id)) errors.push([`${at}.custom_id`, 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated']);
      customIds.add(c.custom_id);
    });
  });
  return errors;
}

/** Refuses a body that would make an empty message (50006), as Discord does on create. */
export function assertNotEmpty(body: MessageBody, files: UploadedFile[]): void {
  if (!body.content && !body.embeds?.length && !body.components?.length && files.length === 0) {
    throw new DiscordApiError(400, 50006, 'Cannot send an empty message');
  }
}

const NAME = /^[-_a-z0-9]{1,32}$/;

/** Discord's checks of application commands (a bulk overwrite's list; a single create is a list of one). */
export function commandErrors(commands: RESTPutAPIApplicationGuildCommandsJSONBody): FormError[] {
  const errors: FormError[] = [];
  const names = new Set<string>();
  commands.forEach((c, i) => {
    const type = c.type ?? ApplicationCommandType.ChatInput;
    if (!NAME.test(c.name)) errors.push([`${i}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid']);
    if (names.has(`${type}:${c.name}`)) errors.push([`${i}.name`, 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique']);
    names.add(`${type}:${c.name}`);
    // Only slash (chat input) commands have descriptions and options; context menu commands have neither.
    if (type === ApplicationCommandType.ChatInput) {
      const length = 'description' in c ? (c.description?.length ?? 0) : 0;
      if (length < 1 || length > 100) errors.push(badLength(`${i}.description`, 1, 100));
      if ('options' in c) optionErrors(c.options ?? [], `${i}.options`, errors);
    }
  });
  return errors;
}

function optionErrors(options: APIApplicationCommandOption[], at: string, errors: FormError[]): void {
  if (options.length > 25) errors.push(tooLong(at, 25));
  let optionalSeen = false;
  options.forEach((o, j) => {
    if (!NAME.test(o.name)) errors.push([`${at}.${j}.name`, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid']);
    if (o.description.length < 1 || o.description.length > 100) errors.push(badLength(`${at}.${j}.description`, 1, 100));
    if ('choices' in o && (o.choices?.length ?? 0) > 25) errors.push(tooLong(`${at}.${j}.choices`, 25));
    // Subcommands (1) and groups (2) nest options; the rest are values, required ones first.
    if (o.type === ApplicationCommandOptionType.Subcommand || o.type === ApplicationCommandOptionType.SubcommandGroup) optionErrors(o.options ?? [], `${at}.${j}.options`, errors);
    else if (o.required && optionalSeen) errors.push([at, 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID', 'Required options must be placed before non-required options']);
    else if (!o.required) optionalSeen = true;
  });
}
