import { ApplicationCommandOptionType, type APIApplicationCommandSubcommandOption, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { USAGE, type Command } from '../core/parse-command';

/**
 * `/statetrace <subcommand> [options]`: one subcommand per command of the shared language,
 * its options read off the command's usage (`maint <route> <duration, e.g. 2h> [reason]`),
 * so Discord offers exactly what the parser takes. An invocation is turned back into the
 * command's text and parsed by the same parser as Slack's, which also rejects bad values.
 */

export const COMMAND_NAME = 'statetrace';

interface UsageOption {
  name: string;
  description: string;
  required: boolean;
}

/** `<route> <duration, e.g. 2h or 90m> [reason]` → route (required), duration (required), reason. */
export function usageOptions(usage: string): UsageOption[] {
  return [...usage.matchAll(/<([^>]+)>|\[([^\]]+)\]/g)].map((m) => {
    const inner = (m[1] ?? m[2])!;
    return { name: inner.split(/[ ,|]/)[0]!.toLowerCase(), description: inner.slice(0, 100), required: m[1] !== undefined };
  });
}

const names = Object.keys(USAGE) as Command['name'][];

/** The command as registered with Discord (PUT …/guilds/{guild}/commands). */
export function statetraceCommand(): RESTPostAPIChatInputApplicationCommandsJSONBody {
  return {
    name: COMMAND_NAME,
    description: 'StateTrace: route health and outages',
    dm_permission: false,
    options: names.map(
      (name): APIApplicationCommandSubcommandOption => ({
        type: ApplicationCommandOptionType.Subcommand,
        name,
        description: USAGE[name].slice(0, 100),
        options: usageOptions(USAGE[name]).map((o) => ({ type: ApplicationCommandOptionType.String, name: o.name, description: o.description, required: o.required, max_length: 1000 })),
      }),
    ),
  };
}

/** The text of an invocation: the subcommand, then its option values in usage order. */
export function commandText(subcommand: string, options: readonly { name: string; value?: unknown }[]): string {
  const usage = USAGE[subcommand as Command['name']];
  if (!usage) return subcommand;
  const values = usageOptions(usage).map((o) => options.find((x) => x.name === o.name)?.value);
  return [subcommand, ...values.filter((v) => v !== undefined && v !== null).map(String)].join(' ');
}
