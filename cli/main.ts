import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../src/config';
import { createLogger, type Logger } from '../src/logger';
import { runServices } from '../src/runtime/run-services';
import { registerDiscordCommands } from '../bot/discord/discord-bot';
import { runDoctor } from './doctor';
import { importRoutesCommand, listRoutesCommand } from './routes';
import { createTokenCommand, listTokensCommand, revokeTokenCommand } from './tokens';

const out = (line: string) => process.stdout.write(`${line}\n`);

/** Loads configuration and a logger, runs the action, exits with its code. */
function action<A extends unknown[]>(fn: (config: Config, logger: Logger, ...args: A) => Promise<number>) {
  return async (...args: A) => {
    let code: number;
    try {
      const config = loadConfig();
      code = await fn(config, createLogger(config.logLevel), ...args);
    } catch (err) {
      process.stderr.write(`statetrace: ${err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err)}\n`);
      code = 1;
    }
    process.exit(code);
  };
}

const program = new Command('statetrace')
  .description('Route-outage ChatOps: probes routes, scores their health, runs each outage as a Temporal workflow.')
  .showHelpAfterError();

program
  .command('start')
  .description('run everything in one process: embedded Temporal and FerretDB (unless external ones are configured), worker, sweeper, HTTP API and chat bots')
  .action(action((config, logger) => runServices(config, logger, { worker: true, api: true, sweeper: true, bots: true, owner: true })));

program
  .command('worker')
  .description('run only the Temporal worker (scale out by running more of these)')
  .action(action((config, logger) => runServices(config, logger, { worker: true, api: false, sweeper: false, bots: false, owner: false })));

program
  .command('api')
  .description('run only the HTTP server (/healthz and the API)')
  .action(action((config, logger) => runServices(config, logger, { worker: false, api: true, sweeper: false, bots: false, owner: false })));

program
  .command('sweeper')
  .description('run only the sweeper: probes, scoring, snapshots, transitions, SNMP trap receiver (scale out with STATETRACE_SWEEP_OWN_SHARDS)')
  .action(action((config, logger) => runServices(config, logger, { worker: false, api: false, sweeper: true, bots: false, owner: false })));

program
  .command('bot')
  .description('run only the chat bots (Slack: SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN for Socket Mode; Discord: DISCORD_BOT_TOKEN, DISCORD_APPLICATION_ID, DISCORD_GUILD_ID)')
  .action(action((config, logger) => runServices(config, logger, { worker: false, api: false, sweeper: false, bots: true, owner: false })));

program
  .command('discord-register')
  .description("register the /statetrace slash command in DISCORD_GUILD_ID (npm run discord:register; safe to repeat)")
  .action(
    action(async (config) => {
      if (!config.discord) throw new Error('Discord is not configured: set DISCORD_BOT_TOKEN, DISCORD_APPLICATION_ID and DISCORD_GUILD_ID');
      const commands = await registerDiscordCommands(config.discord);
      out(`registered ${commands.map((c) => `/${c.name} (${c.id})`).join(', ')} in guild ${config.discord.guildId}`);
      return 0;
    }),
  );

program
  .command('doctor')
  .description('print the version of every component; exit non-zero if one is missing')
  .action(action(async (config) => ((await runDoctor(config, out)) === 0 ? 0 : 1)));

const routes = program.command('routes').description('the route directory');
routes
  .command('import')
  .argument('<file>', 'routes.yaml to import (all or nothing)')
  .description('validate a route file and upsert its entries; one bad entry writes nothing')
  .action(action((config, logger, file: string) => importRoutesCommand(config, logger, file, out)));
routes
  .command('list')
  .option('--json', 'print the stored documents as JSON')
  .description('list the routes in the directory')
  .action(action((config, logger, opts: { json?: boolean }) => listRoutesCommand(config, logger, opts, out)));

const tokens = program.command('tokens').description('API tokens (bearer tokens for /api/v1)');
tokens
  .command('create')
  .requiredOption('--name <name>', 'who or what uses it, e.g. grafana')
  .requiredOption('--scope <scope>', 'read, write or admin')
  .description('create a token (printed once; only its hash is stored)')
  .action(action((config, logger, opts: { name: string; scope: string }) => createTokenCommand(config, logger, opts, out)));
tokens
  .command('list')
  .description('list tokens (never their secrets)')
  .action(action((config, logger) => listTokensCommand(config, logger, out)));
tokens
  .command('revoke')
  .argument('<id>', 'the token id (tokens list)')
  .description('revoke a token')
  .action(action((config, logger, id: string) => revokeTokenCommand(config, logger, id, out)));

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`statetrace: ${String(err)}\n`);
  process.exit(1);
});
