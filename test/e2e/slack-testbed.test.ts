import { execFileSync } from 'node:child_process';
import { models } from '../../src/models';
import { outageState } from '../../workflows/messages';
import { rigRouteFile, startOutageRig, type OutageRig } from '../support/outage-rig';
import { useTestDatabase } from '../support/database';
import { isolateSuite, isolationEnv } from '../support/suite-isolation';
import { slackEnv, startTestSlackBot, SIGNING_SECRET } from '../support/slack-bot-rig';
import { blockActionRequest, postSigned, slashCommandRequest } from '../support/slack-requests';
import { BOT } from '../support/slack-conversations';
import { startSlackSimulator, type SlackSimulator } from '../support/slack-simulator';
import { until } from '../support/until';

/**
 * An outage run from Slack, end to end on the testbed (id 8) and the Slack simulator:
 * link cut → incident channel, alert posted and pinned → signed Acknowledge → workflow
 * acknowledged, alert updated in place → Fail over press → backup route installed in the
 * edge namespace → `/statetrace resolve` in the channel → the summary posted there.
 */
let sim: SlackSimulator;
let rig: OutageRig;
let bot: Awaited<ReturnType<typeof startTestSlackBot>>;
let noc: string;
afterAll(async () => {
  await bot?.stop();
  await rig?.stop();
  await sim?.close();
}, 60_000);
useTestDatabase('e2e_slack');
const suite = isolateSuite();
beforeAll(async () => {
  sim = await startSlackSimulator();
  noc = sim.addChannel({ name: 'noc', members: ['U0ALICE', BOT.user] }).id;
  rig = await startOutageRig({
    testbedId: 8,
    temporalAddress: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS!,
    ...suite,
    failbackDelaySec: 5,
    env: slackEnv(sim),
    // Fail-over by hand (the Fail over button), alerts to #noc, alice on call, a runbook and a customer.
    routeFile: (tb) =>
      rigRouteFile(tb, 5)
        .replace('mode: automatic', 'mode: manual')
        .replace('notify: [{ platform: console, target: noc, minSeverity: info }]', `oncall: { slack: [U0ALICE] }, notify: [{ platform: slack, target: ${noc}, minSeverity: info }]`)
        .replace('    owner: { team: net }', '    owner: { team: net }\n    runbooks: [link-down]\n    customerIds: [CUST-4711]'),
  });
  bot = await startTestSlackBot(sim, rig.client, isolationEnv(suite));
}, 90_000);

const press = (actionId: string, incidentId: string, userId: string, channelId: string, messageTs: string) =>
  postSigned(bot.url, blockActionRequest({ signingSecret: SIGNING_SECRET, actionId, value: incidentId, userId, userName: userId.slice(2).toLowerCase(), channelId, messageTs, responseUrl: sim.responseUrl() }));

it('cut → channel and pinned alert → Acknowledge → alert updated in place → Fail over → backup installed → resolve → summary in the channel', async () => {
  const { tb } = rig;
  expect(rig.edgeNextHop()).toBe(tb.links.primary.coreAddress);
  await tb.fail('primary');

  const record = await until('the incident channel', () => models.SlackIncidentChannel.findOne({ readyAt: { $exists: true } }).lean(), 30_000);
  const incidentId = record._id;
  const channel = sim.channels.get(record.channelId!)!;
  expect(channel).toMatchObject({ name: incidentId, is_private: true });
  expect(channel.members.has('U0ALICE')).toBe(true);
  expect(channel.purpose).toContain(incidentId);
  const alert = await until('the pinned alert', () => models.SlackMessage.findOne({ incidentId, role: 'alert', incidentChannel: true, ts: { $exists: true } }).lean(), 10_000);
  await until('pinned', () => channel.pins.has(alert.ts!), 10_000); // pinned right after it is posted and recorded
  const pinned = sim.messages.get(`${channel.id}/${alert.ts}`)!;
  expect(JSON.stringify(pinned.blocks)).toContain('CUST-4711'); // the private incident channel shows customers
  const nocAlert = await until('the page in #noc', () => models.SlackMessage.findOne({ incidentId, channelId: noc, role: 'alert', ts: { $exists: true } }).lean(), 10_000);
  expect(JSON.stringify(sim.messages.get(`${noc}/${nocAlert.ts}`)!.blocks)).not.toContain('CUST-4711');
  const checklist = await until('the link-down checklist', () => models.SlackMessage.findOne({ _id: `${incidentId}:checklist:link-down`, ts: { $exists: true } }).lean(), 10_000);
  expect(await models.RemediationTask.countDocuments({ incidentId })).toBeGreaterThan(3);

  // Done on the first checklist item, by alice: the task is recorded and the checklist redrawn in place.
  const firstTask = (await models.RemediationTask.findOne({ incidentId, runbookId: 'link-down', itemId: 'confirm-scope' }).lean())!;
  expect(JSON.stringify(sim.messages.get(`${channel.id}/${checklist.ts}`)!.blocks)).toContain(firstTask._id);
  await postSigned(bot.url, blockActionRequest({ signingSecret: SIGNING_SECRET, actionId: 'task_done', value: firstTask._id, userId: 'U0ALICE', userName: 'alice', channelId: channel.id, messageTs: checklist.ts!, responseUrl: sim.responseUrl() }));
  await until('task done', () => models.RemediationTask.exists({ _id: firstTask._id, done: true, 'doneBy.id': 'U0ALICE' }), 10_000);
  await until('checklist redrawn', () => !JSON.stringify(sim.messages.get(`${channel.id}/${checklist.ts}`)!.blocks).includes(`"value":"${firstTask._id}"`), 10_000);

  // Acknowledge from the alert in #noc, as bob (a responder through the S0NETOPS group).
  expect((await press('incident_ack', incidentId, 'U0BOB', noc, nocAlert.ts!)).status).toBe(200);
  const handle = rig.client.workflow.getHandle(rig.outageWorkflowId());
  await until('acknowledged', async () => (await handle.query(outageState)).acknowledgedBy?.id === 'U0BOB', 10_000);
  // Polled by content: other updates of the alert (the failed-over line, …) may land in between.
  await until('the alert updated in place', () => JSON.stringify(sim.messages.get(`${noc}/${nocAlert.ts}`)!.blocks).includes('Acknowledged'), 10_000);
  const updated = sim.messages.get(`${noc}/${nocAlert.ts}`)!;
  expect(JSON.stringify(updated.blocks)).toMatch(/Acknowledged/);
  expect(JSON.stringify(updated.blocks)).not.toContain('"incident_ack"');
  expect(await models.SlackMessage.countDocuments({ incidentId, role: 'alert' })).toBe(2); // updated, not posted again
  expect(await models.AuditEntry.findOne({ action: 'command.ack', outcome: 'ok' }).lean()).toMatchObject({ actor: { platform: 'slack', id: 'U0BOB' }, incidentId });

  // Fail over from the pinned alert in the incident channel.
  await press('incident_failover', incidentId, 'U0ALICE', channel.id, alert.ts!);
  await until('backup installed', () => rig.edgeNextHop() === tb.links.backup.coreAddress, 30_000);
  await until('failed over', async () => (await handle.query(outageState)).routes[0]?.activePath === 'backup', 10_000);

  // Resolve with the slash command in the incident channel: the incident is implied.
  const resolve = slashCommandRequest({ signingSecret: SIGNING_SECRET, text: 'resolve carrier replaced the optic', userId: 'U0ALICE', channelId: channel.id, responseUrl: sim.responseUrl() });
  expect((await postSigned(bot.url, resolve)).status).toBe(200);
  // The route is on its backup: the outage resolves once it has failed back (docs/outage-lifecycle.md, rule 5).
  await until('the resolution requested', async () => (await handle.query(outageState)).resolveRequestedBy?.id === 'U0ALICE', 10_000);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await tb.heal('primary');
  expect((await handle.result()).phase).toBe('resolved');
  expect(rig.edgeNextHop()).toBe(tb.links.primary.coreAddress);
  const summary = await until('the summary', () => models.SlackMessage.findOne({ incidentId, role: 'resolution', ts: { $exists: true } }).lean(), 10_000);
  expect(summary.channelId).toBe(channel.id);
  expect(JSON.stringify(sim.messages.get(`${channel.id}/${summary.ts}`)!.blocks)).toContain('carrier replaced the optic');
  expect(await models.SlackIncidentChannel.findById(incidentId).lean()).toMatchObject({ archiveAt: expect.any(Date) });

  // The incident packet, printed on resolution and shared in the channel (the run ends after it).
  const pdf = [...sim.files.values()].find((f) => f.channel === channel.id && f.filename === `${incidentId}.pdf`);
  expect(pdf?.content?.subarray(0, 5).toString()).toBe('%PDF-');
  const text = execFileSync('pdftotext', ['-', '-'], { input: pdf!.content!, encoding: 'utf8' });
  expect(text).toContain('tb-route');
  expect(text).toMatch(/bob/);
  expect(await models.TimelineEvent.exists({ incidentId, kind: 'packet' })).toBeTruthy();
}, 120_000);
