import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/embedded/ports';
import { spawnCli, waitForHealthy } from '../support/cli';
import { slackEnv, SIGNING_SECRET } from '../support/slack-bot-rig';
import { postSigned, slashCommandRequest } from '../support/slack-requests';
import { startSlackSimulator, type SlackSimulator } from '../support/slack-simulator';
import { discordEnv, startTestDiscordSimulator } from '../support/discord-bot-rig';
import type { DiscordSimulator } from '../support/discord-simulator';

/** `statetrace start` with Slack and Discord configured runs both consoles: the Slack app on STATETRACE_SLACK_PORT, the Discord bot on the gateway. */
let sim: SlackSimulator;
let discord: DiscordSimulator;
beforeAll(async () => {
  sim = await startSlackSimulator();
  discord = await startTestDiscordSimulator();
});
afterAll(async () => {
  await sim?.close();
  await discord?.stop();
});

it('serves signed Slack commands and Discord interactions next to /healthz, and stops with SIGTERM', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-start-slack-'));
  const [httpPort, slackPort, trapPort] = [await freePort(), await freePort(), await freePort()];
  const run = spawnCli(['start'], {
    ...slackEnv(sim),
    ...discordEnv(discord),
    STATETRACE_SLACK_PORT: String(slackPort),
    STATETRACE_DATA_DIR: dataDir,
    STATETRACE_HTTP_PORT: String(httpPort),
    STATETRACE_TEMPORAL_PORT: '0',
    STATETRACE_TEMPORAL_UI_PORT: '0',
    STATETRACE_FERRETDB_PORT: '0',
    STATETRACE_TRAP_PORT: String(trapPort),
    TEMPORAL_ADDRESS: '',
    MONGODB_URI: '',
  });
  let alive = true;
  void run.exited.then(() => (alive = false));
  try {
    const health = await waitForHealthy(`http://127.0.0.1:${httpPort}/healthz`, 90_000, () => alive).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n--- output ---\n${run.output()}`);
    });
    expect(health).toMatchObject({ status: 'ok', checks: { slack: { ok: true, mode: 'http', port: slackPort }, discord: { ok: true, user: expect.stringMatching(/^statetrace/), guild: '300000000000000001' } } });
    const responseUrl = sim.responseUrl();
    const req = slashCommandRequest({ signingSecret: SIGNING_SECRET, text: 'routes', userId: 'U0VIV', channelId: 'C0NOC', responseUrl });
    expect((await postSigned(`http://127.0.0.1:${slackPort}/slack/events`, req)).status).toBe(200);
    const reply = await sim.waitFor(() => sim.responses.find((r) => responseUrl.endsWith(r.id)), 10_000);
    // The example route file is imported at start: the reply lists its routes.
    expect((reply.body as { text: string }).text).toMatch(/route\(s\):/);
    const interaction = discord.interact({ name: 'statetrace', subcommand: 'routes', member: 'viv' });
    expect((await interaction.callback).flags).toBe(64);
    expect(await discord.waitFor(() => interaction.content()?.match(/route\(s\):/), 10_000)).toBeTruthy();
  } finally {
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
