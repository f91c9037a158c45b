import { models } from '../../src/models';
import { rigRouteFile, startOutageRig, type OutageRig } from '../support/outage-rig';
import { useTestDatabase } from '../support/database';
import { isolateSuite, isolationEnv } from '../support/suite-isolation';
import { slackEnv, startTestSlackBot, SIGNING_SECRET } from '../support/slack-bot-rig';
import { postSigned, slashCommandRequest } from '../support/slack-requests';
import { BOT } from '../support/slack-conversations';
import { postsByKey, startSlackSimulator, type SimRequest, type SlackSimulator } from '../support/slack-simulator';
import { until } from '../support/until';
import { outageState } from '../../workflows/messages';

/**
 * Slack answers every Web API call with 429 (Retry-After) or a 5xx for two minutes, on the
 * testbed (id 3) with the whole product. The primary link is cut a few seconds in: the
 * incident opens, pages, escalates and fails over while Slack is down, on the workflow's own
 * clock. After Slack is back, every notification arrives once: one incident channel, one
 * pin, one message per key, no call to a rate-limited method before its Retry-After.
 */
const SLACK_DOWN_MS = 120_000;
const ESCALATE_AFTER_SEC = 8;
// Some 500s are answered after Slack did the work (the post or the channel exists; the answer is lost).
const FAILURES = [
  { status: 429, retryAfterSec: 5 },
  { status: 500, carriedOut: true },
  { status: 502 },
  { status: 429, retryAfterSec: 20 },
  { status: 503 },
  { status: 500 },
] as const;

let sim: SlackSimulator;
let rig: OutageRig;
let bot: Awaited<ReturnType<typeof startTestSlackBot>>;
let noc: string;
afterAll(async () => {
  await bot?.stop();
  await rig?.stop();
  await sim?.close();
}, 60_000);
useTestDatabase('chaos_slack_outage');
const suite = isolateSuite();
beforeAll(async () => {
  sim = await startSlackSimulator();
  noc = sim.addChannel({ name: 'noc', members: ['U0ALICE', BOT.user] }).id;
  rig = await startOutageRig({
    testbedId: 3,
    temporalAddress: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS!,
    ...suite,
    failbackDelaySec: 5,
    env: slackEnv(sim),
    // Automatic fail-over; #noc paged at once, bob by DM ESCALATE_AFTER_SEC later; alice on call; a runbook checklist.
    routeFile: (tb) =>
      rigRouteFile(tb, 5)
        .replace('notify: [{ platform: console, target: noc, minSeverity: info }]', `oncall: { slack: [U0ALICE] }, notify: [{ platform: slack, target: ${noc}, minSeverity: info }]`)
        .replace('{ afterSec: 600, notify: ["team:net"] }', `{ afterSec: ${ESCALATE_AFTER_SEC}, notify: ["slack:U0BOB"] }`)
        .replace('    owner: { team: net }', '    owner: { team: net }\n    runbooks: [link-down]'),
  });
  bot = await startTestSlackBot(sim, rig.client, isolationEnv(suite));
}, 90_000);

/** Requests made to a method while a 429 it got earlier still had Retry-After to run. */
function retryAfterViolations(requests: SimRequest[]): SimRequest[] {
  return requests.filter((r, i) => requests.slice(0, i).some((l) => l.status === 429 && l.method === r.method && r.at < l.at + l.retryAfterSec! * 1000));
}

it('Slack down for 2 minutes during an outage: escalation and fail-over on time, every notification delivered once afterwards', async () => {
  const { tb } = rig;
  const window = sim.outage([...FAILURES], SLACK_DOWN_MS);
  // The first channel creation, post and pin are carried out, but Slack's answer is a 500.
  for (const method of ['conversations.create', 'chat.postMessage', 'pins.add']) sim.failNext(method, { status: 500, carriedOut: true });
  await new Promise((r) => setTimeout(r, 2_000));
  await tb.fail('primary');

  const timelineEvent = (kind: string) => until(kind, () => models.TimelineEvent.findOne({ kind }).lean(), 60_000);
  const detected = await timelineEvent('detected');
  const failedOver = await timelineEvent('failed_over');
  const escalated = await timelineEvent('escalated');
  const incidentId = detected.incidentId;
  // The workflow did not wait on Slack: both happened on time, while every Slack call still failed.
  expect(failedOver.at.getTime()).toBeLessThan(window.until);
  expect(escalated.at.getTime()).toBeLessThan(window.until);
  expect(escalated.at.getTime() - detected.at.getTime()).toBeGreaterThanOrEqual(ESCALATE_AFTER_SEC * 1000 - 1000);
  expect(escalated.at.getTime() - detected.at.getTime()).toBeLessThan(ESCALATE_AFTER_SEC * 1000 + 3000);
  expect(failedOver.at.getTime() - detected.at.getTime()).toBeLessThan(15_000);
  expect(sim.requests.filter((r) => r.at < escalated.at.getTime() && r.at >= window.from && r.status === 200)).toEqual([]);
  expect(rig.edgeNextHop()).toBe(tb.links.backup.coreAddress);

  // Slack comes back; what was paged during the outage arrives (retries back off up to a minute).
  await until('Slack back', () => Date.now() >= window.until, SLACK_DOWN_MS);
  const duringOutage = ['opened', 'failed_over', 'escalated'];
  await until('the outage-time notifications delivered', async () => (await models.Notification.countDocuments({ incidentId, kind: { $in: duringOutage }, complete: true })) === 3, 150_000, {
    context: () => JSON.stringify(sim.requests.slice(-5)),
  });

  // Resolved from the incident channel by slash command while still failed over: the outage
  // resolves once the link is back and the route has failed back (docs/outage-lifecycle.md, rule 5).
  const channelRecord = (await models.SlackIncidentChannel.findById(incidentId).lean())!;
  const resolveCommand = slashCommandRequest({ signingSecret: SIGNING_SECRET, text: 'resolve carrier fixed it', userId: 'U0ALICE', channelId: channelRecord.channelId!, responseUrl: sim.responseUrl() });
  expect((await postSigned(bot.url, resolveCommand)).status).toBe(200);
  const handle = rig.client.workflow.getHandle(rig.outageWorkflowId());
  await until('the resolution requested', async () => ((await handle.query(outageState)).resolveRequestedBy ? true : undefined), 30_000);
  await tb.heal('primary');
  expect((await handle.result()).phase).toBe('resolved');
  await until('the resolution delivered', () => models.Notification.exists({ incidentId, kind: 'resolved', complete: true }), 60_000);
  await until('the packet shared', () => [...sim.files.values()].some((f) => f.channel === channelRecord.channelId && f.filename === `${incidentId}.pdf`), 60_000);

  const incidents = await models.Incident.countDocuments();
  const notifications = await models.Notification.find({ incidentId }).lean();
  const executorRuns = await models.ExecutorRun.countDocuments();
  const refused = sim.requests.filter((r) => r.status !== 200);
  const violations = retryAfterViolations(sim.requests);
  const posts = postsByKey(sim);
  const duplicates = [...posts.values()].reduce((n, c) => n + c - 1, 0);
  const incidentChannels = [...sim.channels.values()].filter((c) => c.name.startsWith(incidentId));
  const failedDeliveries = await models.TimelineEvent.countDocuments({ incidentId, kind: 'notification_failed' });
  console.log(
    `CHAOS slack-outage incidents=${incidents} notifications=${notifications.length} slack_posts=${[...posts.values()].reduce((a, b) => a + b, 0)} refused_calls=${refused.length} ` +
      `retry_after_violations=${violations.length} duplicates=${duplicates} incident_channels=${incidentChannels.length} pins=${incidentChannels[0]?.pins.size} ` +
      `notification_failed=${failedDeliveries} executor_runs=${executorRuns} escalated_after_s=${((escalated.at.getTime() - detected.at.getTime()) / 1000).toFixed(1)} ` +
      `failed_over_after_s=${((failedOver.at.getTime() - detected.at.getTime()) / 1000).toFixed(1)} slack_down_s=${SLACK_DOWN_MS / 1000}`,
  );

  expect(incidents).toBe(1);
  expect(notifications.map((n) => n.kind).sort()).toEqual(['escalated', 'failed_back', 'failed_over', 'opened', 'resolved']);
  // Each delivered once to every destination, and to Slack only once Slack was back (the console shows what pages nobody).
  for (const n of notifications) {
    expect(n).toMatchObject({ complete: true });
    expect(n.deliveries.every((d) => d.ok)).toBe(true);
    expect(new Set(n.deliveries.map((d) => `${d.channel}:${d.target}`)).size).toBe(n.deliveries.length);
    const slack = n.deliveries.filter((d) => d.channel === 'slack');
    expect(slack).toHaveLength(1);
    expect(slack[0]!.at.getTime()).toBeGreaterThanOrEqual(window.until);
  }
  expect(failedDeliveries).toBe(0);
  expect(new Set(refused.map((r) => r.status))).toEqual(new Set([429, 500, 502, 503]));
  expect(violations).toEqual([]);
  expect(duplicates).toBe(0);
  expect(incidentChannels).toHaveLength(1);
  expect(incidentChannels[0]!.id).toBe(channelRecord.channelId);
  expect(incidentChannels[0]!.pins.size).toBe(1);
  // The alert in the incident channel, #noc and bob's DM; the checklist; timeline lines; the summary.
  expect([...posts.keys()].sort()).toEqual(
    [
      `${incidentId}:alert:${noc}`,
      `${incidentId}:alert:U0BOB`,
      `${incidentId}:alert:incident-channel`,
      `${incidentId}:checklist:link-down`,
      `${incidentId}:escalated:0:timeline`,
      `${incidentId}:failed_over:tb-route:auto-1:timeline`,
      `${incidentId}:failed_back:tb-route:auto-1:timeline`,
      `${incidentId}:resolution`,
      `${incidentId}:resolved:timeline`,
    ].sort(),
  );
  expect(executorRuns).toBe(2); // the fail-over and the fail-back
}, 420_000);
