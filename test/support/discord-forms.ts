import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ComponentType,
  type APIApplicationCommandOption,
  type APIEmbed,
  type APIMessageTopLevelComponent,
  type RESTPutAPIApplicationGuildCommandsJSONBody,
} from 'discord.js';
import { DiscordApiError, type UploadedFile } from './discord-rest';

/**
 * The form checks Discord makes on what the bot sends, with its limits and its way of
 * answering: 400 Invalid Form Body (50035) with the complaints nested by where they are in
 * the body (`{embeds: {0: {title: {_errors: [{code, message}]}}}}`).
 */

/** One Invalid Form Body complaint: where (dotted path into the body), Discord's code, its text. */
export type FormError = [path: string, code: string, message: string];

/** 400 Invalid Form Body (50035), with the complaints nested the way Discord nests them. */
export function invalidFormBody(errors: FormError[]): DiscordApiError {
  const tree: Record<string, unknown> = {};
  for (const [path, code, message] of errors) {
    let node = tree;
    // An empty path is a complaint about the body as a whole.
    for (const key of path ? path.split('.') : []) node = (node[key] ??= {}) as Record<string, unknown>;
    ((node._errors ??= []) as unknown[]).push({ code, message });
  }
  return new DiscordApiError(400, 50035, 'Invalid Form Body', tree);
}

const tooLong = (path: string, max: number): FormError => [path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`];
const required = (path: string): FormError => [path, 'BASE_TYPE_REQUIRED', 'This field is required'];
const badLength = (path: string, min: number, max: number): FormError => [path, 'BASE_TYPE_BAD_LENGTH', `Must be between ${min} and ${max} in length.`];

/** What a message body may carry (POST/PATCH message, interaction responses, webhook follow-ups). */
export interface MessageBody {
  content?: string;
  embeds?: APIEmbed[];
  components?: APIMessageTopLevelComponent[];
  flags?: number;
  attachments?: { id: string | number }[];
  nonce?: string | number;
}

/** Throws Invalid Form Body if there are complaints. */
export function check(errors: FormError[]): void {
  if (errors.length > 0) throw invalidFormBody(errors);
}

/** Discord's checks of a message body: lengths and counts of content, embeds and components. */
export function messageErrors(body: MessageBody): FormError[] {
  const errors: FormError[] = [];
  if (typeof body.content === 'string' && body.content.length > 2000) errors.push(tooLong('content', 2000));
  if (typeof body.nonce === 'string' && body.nonce.length > 25) errors.push(tooLong('nonce', 25));
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

/** Refuses a message that would be empty (50006): no content, embeds, components or attachments. */
export function assertNotEmpty(message: Pick<MessageBody, 'content' | 'embeds' | 'components'> & { attachments?: unknown[] }, files: UploadedFile[]): void {
  if (!message.content && !message.embeds?.length && !message.components?.length && !message.attachments?.length && files.length === 0) {
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
