import { models } from '../../src/models';
import { outageState } from '../../workflows/messages';
import { readRuns } from '../model/runs';
import { rigRouteFile, startOutageRig, type OutageRig } from '../support/outage-rig';
import { useTestDatabase } from '../support/database';
import { isolateSuite } from '../support/suite-isolation';
import { slackEnv } from '../support/slack-bot-rig';
import { BOT } from '../support/slack-conversations';
import { postsByKey, startSlackSimulator, type SlackSimulator } from '../support/slack-simulator';
import { until } from '../support/until';

/**
 * A second outage of the same route starts while the first is finishing (docs/outage-lifecycle.md,
 * rule 1), on the testbed (id 9) with the whole product. Incident 1 opens, pages, fails over,
 * fails back; Slack then answers every call with 429 or a 5xx, so the run's finish() (the
 * resolution notice and the packet, retried with backoff) lasts until well after Slack is
 * back. Meanwhile the link is cut again: the sweeper's `down` reaches the finishing run, which
 * continues as new with it. Afterwards: two incidents, each paged once and resolved once, one
 * run chain with the continue-as-new, no notification posted twice.
 */
const SLACK_DOWN_MS = 30_000;
const FAILBACK_DELAY_SEC = 2;
const RESOLVE_STABLE_SEC = 3;
const FAILURES = [
  { status: 429, retryAfterSec: 3 },
  { status: 500, carriedOut: true },
  { status: 502 },
  { status: 503 },
  { status: 500 },
] as const;

let sim: SlackSimulator;
let rig: OutageRig;
let noc: string;
afterAll(async () => {
  await rig?.stop();
  await sim?.close();
}, 60_000);
useTestDatabase('chaos_second_outage');
const suite = isolateSuite();
beforeAll(async () => {
  sim = await startSlackSimulator();
  noc = sim.addChannel({ name: 'noc', members: ['U0ALICE', BOT.user] }).id;
  rig = await startOutageRig({
    testbedId: 9,
    temporalAddress: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS!,
    ...suite,
    failbackDelaySec: FAILBACK_DELAY_SEC,
    env: slackEnv(sim, { STATETRACE_RESOLVE_STABLE_SEC: String(RESOLVE_STABLE_SEC) }),
    // Automatic fail-over and fail-back; #noc paged at once.
    routeFile: (tb) =>
      rigRouteFile(tb, FAILBACK_DELAY_SEC).replace('notify: [{ platform: console, target: noc, minSeverity: info }]', `notify: [{ platform: slack, target: ${noc}, minSeverity: info }]`),
  });
}, 90_000);

/** Waits for an event on an incident's timeline; on a timeout, says where the outage stands. */
async function timelineEvent(incidentId: string, kind: string, timeoutMs = 60_000) {
  try {
    return await until(`${kind} on ${incidentId}'s timeline`, () => models.TimelineEvent.findOne({ incidentId, kind }).lean(), timeoutMs);
  } catch (err) {
    const timeline = await models.TimelineEvent.find({ incidentId }).sort({ at: 1 }).lean();
    const state = await rig.client.workflow.getHandle(rig.outageWorkflowId()).query(outageState).catch((e: Error) => e.message);
    throw new Error(`${(err as Error).message}; timeline: ${timeline.map((e) => `${e.at.toISOString()} ${e.kind}`).join(', ')}; outage: ${JSON.stringify(state)}`);
  }
}

const secondsBetween = (from: Date | number, to: Date | number) => ((new Date(to).getTime() - new Date(from).getTime()) / 1000).toFixed(1);

it('a second outage of the route while the first is finishing with Slack failing: both paged, both resolved, one continue-as-new', async () => {
  const { tb } = rig;
  const workflowId = rig.outageWorkflowId();

  // Incident 1: cut, paged on Slack, failed over; healed, failed back.
  await tb.fail('primary');
  const first = await until('incident 1', () => models.Incident.findOne().lean(), 30_000);
  const firstRunId = (await rig.client.workflow.getHandle(workflowId).describe()).runId;
  await timelineEvent(first._id, 'failed_over');
  // Healed before the route recovers through its backup: the fail-back checks of a primary that is down back off.
  await tb.heal('primary');
  await until('incident 1 paged in #noc', () => postsByKey(sim).get(`${first._id}:alert:${noc}`), 30_000);
  await timelineEvent(first._id, 'failed_back');

  // Slack fails from just before the resolution (RESOLVE_STABLE_SEC after the fail-back).
  const window = sim.outage([...FAILURES], SLACK_DOWN_MS);
  const resolved = await until('incident 1 resolved', () => models.Incident.findOne({ _id: first._id, state: 'resolved' }).lean(), 30_000);
  await tb.fail('primary');
  const secondDown = await until('the second down', () => models.RouteTransition.findOne({ kind: 'down', at: { $gt: resolved.resolvedAt } }).lean(), 30_000);
  expect(Date.now()).toBeLessThan(window.until);

  // Once incident 1's finish() is over, the new run opens incident 2 from that down.
  const second = await until('incident 2', () => models.Incident.findOne({ _id: { $ne: first._id } }).lean(), SLACK_DOWN_MS + 120_000, {
    context: () => JSON.stringify(sim.requests.slice(-3)),
  });
  await timelineEvent(second._id, 'failed_over');
  await tb.heal('primary');
  await until('incident 2 paged in #noc', () => postsByKey(sim).get(`${second._id}:alert:${noc}`), 60_000);
  expect(await rig.client.workflow.getHandle(workflowId).result()).toMatchObject({ phase: 'resolved', incidentId: second._id });

  const runs = await readRuns(rig.client, workflowId, [firstRunId]);
  const incidents = await models.Incident.find().sort({ detectedAt: 1 }).lean();
  await until('both packets shared', () => incidents.every((i) => [...sim.files.values()].some((f) => f.channel && f.filename === `${i._id}.pdf`)), 60_000);
  const notifications = await models.Notification.find().lean();
  const posts = postsByKey(sim);
  // A key posted twice in Slack, or a notification delivered twice to one destination.
  const deliveredTwice = notifications.flatMap((n) => {
    const destinations = n.deliveries.filter((d) => d.ok).map((d) => `${d.channel}:${d.target}`);
    return destinations.filter((d, i) => destinations.indexOf(d) !== i);
  });
  const duplicates = [...posts.values()].reduce((n, c) => n + c - 1, 0) + deliveredTwice.length;
  const pages = [...posts.keys()].filter((k) => k.endsWith(`:alert:${noc}`));
  const resolutionOf = (incidentId: string) => notifications.find((n) => n._id === `${incidentId}:resolved`);
  const packetsShared = [...sim.files.values()].filter((f) => f.channel && incidents.some((i) => f.filename === `${i._id}.pdf`));
  const runOneClosedAt = (await rig.client.workflow.getHandle(workflowId, firstRunId).describe()).closeTime!;
  console.log(
    `CHAOS second-outage-during-finish incidents=${incidents.length} pages=${pages.length} resolved=${incidents.filter((i) => i.state === 'resolved').length} ` +
      `duplicates=${duplicates} finish_s=${secondsBetween(resolved.resolvedAt!, runOneClosedAt)} second_opened_after_s=${secondsBetween(secondDown.at, second.createdAt)} ` +
      `packets=${packetsShared.length} runs=${runs.length} slack_down_s=${SLACK_DOWN_MS / 1000} refused_calls=${sim.requests.filter((r) => r.status !== 200).length}`,
  );

  expect(incidents.map((i) => i._id)).toEqual([first._id, second._id]);
  for (const incident of incidents) expect(incident).toMatchObject({ workflowId, routes: ['tb-route'], state: 'resolved' });
  // Incident 2 is the second down: detected at it, after incident 1's resolution.
  expect(second.detectedAt).toEqual(secondDown.at);
  expect(second.detectedAt.getTime()).toBeGreaterThan(resolved.resolvedAt!.getTime());

  // The down went into the run still finishing incident 1, which continued as new with it.
  expect(runs.map((r) => r.status)).toEqual(['continued', 'completed']);
  expect(runs[0]!.continuedFrom).toBeUndefined();
  expect(runs[1]!.continuedFrom).toBe(firstRunId);
  expect(runs[0]!.received.filter((r) => r.signal.kind === 'down' && r.signal.at === secondDown.at.toISOString())).toHaveLength(1);
  expect(runs[0]!.continuedAs!.input.pending?.map((t) => t.kind)).toEqual(['down']);
  expect(runs.flatMap((r) => r.taskFailures)).toEqual([]);
  // Its finish() lasted past the Slack outage: the resolution notice was retried until Slack was back.
  expect(runOneClosedAt.getTime()).toBeGreaterThan(window.until);

  // Each incident paged once in #noc, its resolution delivered once, after the outage for incident 1.
  expect(pages.sort()).toEqual([`${first._id}:alert:${noc}`, `${second._id}:alert:${noc}`].sort());
  for (const incident of incidents) {
    const resolution = resolutionOf(incident._id)!;
    expect(resolution).toMatchObject({ complete: true });
    expect(resolution.deliveries.filter((d) => d.channel === 'slack' && d.ok)).toHaveLength(1);
    expect(posts.get(`${incident._id}:resolution`)).toBe(1);
    expect(posts.get(`${incident._id}:alert:incident-channel`)).toBe(1);
  }
  expect(resolutionOf(first._id)!.deliveries.find((d) => d.channel === 'slack')!.at.getTime()).toBeGreaterThanOrEqual(window.until);
  expect(duplicates).toBe(0);
  expect(packetsShared.map((f) => f.filename).sort()).toEqual(incidents.map((i) => `${i._id}.pdf`).sort());
  expect(await models.TimelineEvent.countDocuments({ kind: { $in: ['notification_failed', 'packet_failed'] } })).toBe(0);
  // A fail-over and a fail-back each: incident 2's executor runs are its own (keys carry the incident).
  expect(await models.ExecutorRun.countDocuments()).toBe(4);
  expect(rig.edgeNextHop()).toBe(tb.links.primary.coreAddress);
}, 240_000);
