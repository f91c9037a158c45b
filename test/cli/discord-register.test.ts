import { spawnCli } from '../support/cli';
import { discordEnv, startTestDiscordSimulator, TEST_GUILD } from '../support/discord-bot-rig';
import type { DiscordSimulator } from '../support/discord-simulator';

/** `statetrace discord-register` (npm run discord:register) against the simulator's REST API. */
let sim: DiscordSimulator;
beforeAll(async () => void (sim = await startTestDiscordSimulator()));
afterAll(() => sim?.stop());

it('registers /statetrace in the guild and says so; without Discord configured it says what is missing', async () => {
  const run = spawnCli(['discord-register'], discordEnv(sim));
  expect(await run.exited).toBe(0);
  expect(run.output()).toMatch(new RegExp(`^registered /statetrace \\(\\d+\\) in guild ${TEST_GUILD.id}\\n$`));
  expect(sim.commandsOf(TEST_GUILD.id).map((c) => c.name)).toEqual(['statetrace']);
  expect(sim.callsTo('PUT /applications/:application/guilds/:guild/commands')).toHaveLength(1);

  const missing = spawnCli(['discord-register'], { DISCORD_BOT_TOKEN: '' });
  expect(await missing.exited).toBe(1);
  expect(missing.output()).toContain('Discord is not configured: set DISCORD_BOT_TOKEN, DISCORD_APPLICATION_ID and DISCORD_GUILD_ID');
}, 30_000);
