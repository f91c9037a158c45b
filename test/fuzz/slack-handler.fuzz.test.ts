import { Client, Connection } from '@temporalio/client';
import { ACTION_IDS } from '../../bot/slack/render/render-slack';
import { models } from '../../src/models';
import { snapshotDatabase, useTestDatabase } from '../support/database';
import { SIGNING_SECRET, startTestSlackBot } from '../support/slack-bot-rig';
import { blockActionRequest, postSigned, slashCommandRequest } from '../support/slack-requests';
import { startSlackSimulator, type SlackSimulator } from '../support/slack-simulator';
import { fuzzSeed, mulberry32, NASTY, randomString, type Rng } from './fuzz-kit';

/**
 * Hostile input for the Slack request handler (issue 9): signed slash commands with random
 * text and signed button presses with random action ids and values, from viewers, through the
 * real Bolt app over HTTP. Every one is answered (usage, help or a refusal), none with an
 * internal error, and nothing is stored but audit entries of refusals.
 */
const SEED = fuzzSeed(0x5eed0004);
const COMMANDS = 300;
const PRESSES = 100;
const INCIDENT = 'inc-20261125-r1-7f3a';
let sim: SlackSimulator;
let bot: Awaited<ReturnType<typeof startTestSlackBot>>;
let connection: Connection;
useTestDatabase('fuzz_slack');

beforeAll(async () => {
  sim = await startSlackSimulator();
  connection = await Connection.connect({ address: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS! });
  bot = await startTestSlackBot(sim, new Client({ connection }));
  await models.Incident.create({ _id: INCIDENT, workflowId: 'outage:r1', routes: ['r1'], severity: 'critical', state: 'open', detectedAt: new Date() });
}, 60_000);
afterAll(async () => {
  await bot?.stop();
  await sim?.close();
  await connection?.close();
});

/**
 * Not `packet`: with an open incident it starts a packet workflow that no worker here runs, and
 * its client keeps long-polling for the result after the test closes the Temporal connection.
 */
const VERBS = ['status', 'routes', 'incident', 'ack', 'failover', 'failback', 'resolve', 'maint', 'history', 'oncall', 'help'];
const NO_PACKET = (t: string) => (/^[\p{Cc}\p{Zs}]*packet/iu.test(t) ? `x${t}` : t);
/**
 * The app's own action ids only: Bolt answers an action id no listener handles with a bare
 * HTTP 404 and no reply (found by this suite, not fixed here; Slack only sends the ids of buttons the app drew).
 */
const ACTIONS = Object.values(ACTION_IDS);
const USERS = ['U0VIV', 'U0NOBODY'];
const SETTLED = (snap: Record<string, unknown[]>) => Object.fromEntries(Object.entries(snap).filter(([c]) => c !== 'agendajobs' && c !== 'auditentries'));

function text(r: Rng): string {
  const k = r.int(0, 5);
  if (k === 0) return randomString(r, 60);
  if (k === 1) return 'x'.repeat(r.int(990, 3000));
  const words = Array.from({ length: r.int(0, 5) }, () => (r.chance(0.5) ? r.pick(NASTY) : randomString(r, 15)));
  return [r.pick(VERBS), ...words].join(r.pick([' ', '  ', '\t', '\u00a0']));
}

describe('fuzz: Slack request handler', () => {
  it(`answers ${COMMANDS} random slash commands and ${PRESSES} random button presses, none with an internal error, storing only refusals' audit (seed ${SEED})`, async () => {
    const r = mulberry32(SEED);
    const before = await snapshotDatabase();
    const sent = [
      ...Array.from({ length: COMMANDS }, () => {
        const t = NO_PACKET(text(r));
        const responseUrl = sim.responseUrl();
        return { input: `/statetrace ${JSON.stringify(t.slice(0, 80))}`, responseId: responseUrl.split('/').pop()!, req: slashCommandRequest({ signingSecret: SIGNING_SECRET, text: t, userId: r.pick(USERS), channelId: 'C0NOC', responseUrl }) };
      }),
      ...Array.from({ length: PRESSES }, () => {
        const [actionId, value] = [r.pick(ACTIONS), r.chance(0.3) ? INCIDENT : r.chance(0.5) ? r.pick(NASTY) : randomString(r, 80)];
        const responseUrl = sim.responseUrl();
        const userId = r.pick(USERS);
        const req = blockActionRequest({ signingSecret: SIGNING_SECRET, actionId, value, userId, userName: userId.slice(2).toLowerCase(), channelId: 'C0NOC', messageTs: '1700000000.000100', responseUrl });
        return { input: `button ${actionId} ${JSON.stringify(value)}`, responseId: responseUrl.split('/').pop()!, req };
      }),
    ];
    const problems: string[] = [];
    for (let i = 0; i < sent.length; i += 25) {
      const batch = sent.slice(i, i + 25);
      const results = await Promise.all(batch.map((s) => postSigned(bot.url, s.req)));
      results.forEach((res, j) => res.status !== 200 && problems.push(`${batch[j]!.input} → HTTP ${res.status}`));
    }
    let answered = 0;
    let silent = 0;
    for (const s of sent) {
      const reply = await sim.waitFor(() => sim.responses.find((x) => x.id === s.responseId), 20_000).catch(() => undefined);
      if (!reply) {
        silent++;
        problems.push(`${s.input} → no reply`);
        continue;
      }
      answered++;
      const replyText = (reply.body as { text?: string }).text ?? '';
      if (replyText.trim().length < 5) problems.push(`${s.input} → an empty reply`);
      if (/could not do that| failed: /.test(replyText)) problems.push(`${s.input} → internal error: ${replyText.slice(0, 200)}`);
    }
    const after = await snapshotDatabase();
    try {
      expect(SETTLED(after)).toEqual(SETTLED(before));
    } catch {
      problems.push('the database changed beyond audit entries');
    }
    const audits = await models.AuditEntry.find().lean();
    const notRefused = audits.filter((a) => a.outcome !== 'refused');
    if (notRefused.length > 0) problems.push(`audit entries that are not refusals: ${JSON.stringify(notRefused.slice(0, 3))}`);
    console.log(`fuzz Slack: seed ${SEED}, ${sent.length} requests (${answered} answered, ${silent} unanswered, ${audits.length} refusals audited), ${problems.length} failures`);
    expect(problems.slice(0, 20)).toEqual([]);
  }, 90_000);
});
