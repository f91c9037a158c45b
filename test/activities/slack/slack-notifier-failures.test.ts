import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createConsoleChannel } from '../../../activities/channels/console';
import { CLAIM_PATIENCE_MS } from '../../../activities/channels/claim';
import { createNotifyActivities } from '../../../activities/notify';
import type { NotifyInput, NotifyResult } from '../../../activities/outage-contract';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import { BOT_USER, INCIDENT, incidentChannel, keyed, keyOf, logger, message, messagesIn, seedDirectory, seedIncident, shown, startRig, type Rig } from './slack-notifier-rig';

/**
 * The Slack notifier when Slack or an earlier attempt lets it down: rate limits and 5xx
 * (retryable, nothing duplicated), a crash between posting and recording, a concurrent
 * attempt, a channel name someone else took, and errors no retry will fix.
 */
const db = useTestDatabase('slack_notifier_failures');
let rig: Rig;

beforeEach(async () => {
  await db.clear();
  await seedDirectory();
  await seedIncident();
  rig = await startRig();
});
afterEach(() => rig.sim.close());

const alertKey = (target: string, incidentId = INCIDENT) => `${incidentId}:alert:${target}`;
const OK = { ok: true, retryable: false };
/** What Temporal does before a retry: wait out the Retry-After. */
const waitOut = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Exactly one alert in the incident channel and one in #noc, and the checklist once. */
async function expectOneOfEach(): Promise<void> {
  const { sim, noc } = rig;
  const channel = await incidentChannel(sim);
  expect(messagesIn(sim, channel.id).map(keyOf)).toEqual([alertKey('incident-channel'), `${INCIDENT}:checklist:link-down`]);
  expect(messagesIn(sim, noc.id).map(keyOf)).toEqual([alertKey(noc.id)]);
  expect([...channel.pins]).toEqual([messagesIn(sim, channel.id)[0]!.ts]);
  expect(await models.SlackMessage.countDocuments({ incidentId: INCIDENT, ts: { $exists: false } })).toBe(0);
}

describe('rate limits and 5xx', () => {
  it('429 on chat.postMessage: retryable after Retry-After with nothing posted; the next send delivers once everywhere', async () => {
    const { sim, notifier, noc } = rig;
    sim.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });

    expect(await notifier.send(message('opened'), noc.id)).toEqual({ ok: false, retryable: true, retryAfterMs: 1000, error: expect.stringContaining('rate limited') });
    expect(sim.messages.size).toBe(0);
    // Slack limits a method for the whole app: every send of this process holds it back until Retry-After has passed.
    expect(await notifier.send(message('opened'), noc.id)).toMatchObject({ ok: false, retryable: true, retryAfterMs: 1000 });
    expect(sim.callsOf('chat.postMessage')).toHaveLength(1);

    await waitOut(1000);
    expect(await notifier.send(message('opened'), noc.id)).toEqual(OK);
    await expectOneOfEach();
    expect(sim.callsOf('conversations.create')).toHaveLength(1);
  });

  it('429 on pins.add after the alert was posted: the retry pins it without posting it again', async () => {
    const { sim, notifier, noc } = rig;
    sim.failNext('pins.add', { status: 429, retryAfterSec: 1 });

    expect(await notifier.send(message('opened'), noc.id)).toMatchObject({ ok: false, retryable: true, retryAfterMs: 1000 });
    await waitOut(1000);
    expect(await notifier.send(message('opened'), noc.id)).toEqual(OK);
    await expectOneOfEach();
  });

  it('through the notify activity: the first attempt fails with Retry-After as the next retry delay; the retry delivers, nothing twice', async () => {
    const { sim, notifier, noc } = rig;
    const consoleLines: string[] = [];
    const consoleChannel = createConsoleChannel({ logger, stream: { write: (line: string) => consoleLines.push(line) } });
    const { notify } = createNotifyActivities({ models, logger, channels: [consoleChannel, notifier] });
    const asAttempt = (attempt: number) => (input: NotifyInput) =>
      new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR', () => {}) }).run<[NotifyInput], NotifyResult, typeof notify>(notify, input);
    const input: NotifyInput = {
      idempotencyKey: `${INCIDENT}:opened`,
      incidentId: INCIDENT,
      kind: 'opened',
      severity: 'critical',
      routes: ['r1'],
      targets: ['console:noc', `slack:${noc.id}`],
      title: 'r1 down',
      text: 'primary path lost every probe',
      page: true,
    };
    sim.failNext('chat.postMessage', { status: 429, retryAfterSec: 2 });

    const err = await asAttempt(1)(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'NotificationUndelivered', nonRetryable: false, nextRetryDelay: 2000 });
    expect(await models.Notification.findById(input.idempotencyKey).lean()).toMatchObject({ complete: false });
    await waitOut(2000);

    const retried = await asAttempt(2)(input);
    expect(retried).toEqual({
      duplicate: false,
      deliveries: [
        { channel: 'console', target: 'noc', ok: true },
        { channel: 'slack', target: noc.id, ok: true },
      ],
    });
    expect(consoleLines).toHaveLength(1);
    await expectOneOfEach();
    expect(await models.Notification.findById(input.idempotencyKey).lean()).toMatchObject({ complete: true });
  });

  it('503 creating the channel is retryable and the retry makes one channel', async () => {
    const { sim, notifier, noc } = rig;
    sim.failNext('conversations.create', { status: 503 });

    const failed = await notifier.send(message('opened'), noc.id);
    expect(failed).toMatchObject({ ok: false, retryable: true });
    expect(failed.retryAfterMs).toBeUndefined();

    expect(await notifier.send(message('opened'), noc.id)).toEqual(OK);
    expect(sim.callsOf('conversations.create').map((c) => c.status)).toEqual([503, 200]);
    expect([...sim.channels.values()].filter((c) => c.name.startsWith(INCIDENT))).toHaveLength(1);
    await expectOneOfEach();
  });

  it('503 posting is retryable; the message may have gone out, so it is posted only after the channel history shows it did not', async () => {
    const { sim, notifier, noc } = rig;
    sim.failNext('chat.postMessage', { status: 503 });

    expect(await notifier.send(message('opened'), noc.id)).toMatchObject({ ok: false, retryable: true });
    // Soon after, the claim may still belong to a live attempt: wait.
    expect(await notifier.send(message('opened'), noc.id)).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('being posted') });
    expect(sim.messages.size).toBe(0);

    await models.SlackMessage.updateMany({ ts: { $exists: false } }, { $set: { claimedAt: new Date(Date.now() - CLAIM_PATIENCE_MS - 1000) } });
    expect(await notifier.send(message('opened'), noc.id)).toEqual(OK);
    await expectOneOfEach();
  });

  it('an error naming a target that does not exist is not retryable; a transient platform error is', async () => {
    const { sim, notifier, noc } = rig;
    expect(await notifier.send(message('opened'), 'C0GONE')).toEqual({ ok: false, retryable: false, error: 'slack: channel_not_found' });
    expect(sim.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C0GONE')).toHaveLength(1);
    expect(await models.SlackMessage.findById(alertKey('C0GONE')).lean()).toBeNull(); // refused: the claim is given up
    expect(await notifier.send(message('escalated'), 'U0NOBODY')).toEqual({ ok: false, retryable: false, error: 'slack: user_not_found' });

    sim.failNext('chat.postMessage', { error: 'internal_error' });
    expect(await notifier.send(message('opened'), noc.id)).toEqual({ ok: false, retryable: true, error: 'slack: internal_error' });
  });
});

describe('post once across crashes and concurrent attempts', () => {
  it('a claim without ts whose message is in the channel: records that ts and posts nothing', async () => {
    const { sim, client, notifier, noc } = rig;
    const key = alertKey(noc.id);
    await models.SlackMessage.create({ _id: key, incidentId: INCIDENT, channelId: noc.id, role: 'alert', incidentChannel: false, claimedAt: new Date() });
    const posted = await client.chat.postMessage({
      channel: noc.id,
      text: `r1 down (posted before the crash)`,
      metadata: { event_type: 'statetrace_message', event_payload: { key, incident_id: INCIDENT } },
    });

    expect(await notifier.send(message('opened'), noc.id)).toEqual(OK);

    expect(sim.callsOf('chat.postMessage').filter((c) => c.args.channel === noc.id)).toHaveLength(1);
    expect(await models.SlackMessage.findById(key).lean()).toMatchObject({ ts: posted.ts, channelId: noc.id });
    const [alert] = messagesIn(sim, noc.id);
    expect(messagesIn(sim, noc.id)).toHaveLength(1);
    // Recovered, not fresh: it is brought up to date in place.
    expect(alert).toMatchObject({ ts: posted.ts, edited: 1 });
    expect(shown(alert!)).toContain('Acknowledge');
    expect(shown(alert!)).not.toContain('CUST-1');
    await expectOneOfEach();
  });

  it('a fresh claim of a concurrent attempt (no ts, no message): "being posted", retryable; once stale, it is posted once', async () => {
    const { sim, notifier, noc } = rig;
    const key = alertKey(noc.id);
    await models.SlackMessage.create({ _id: key, incidentId: INCIDENT, channelId: noc.id, role: 'alert', incidentChannel: false, claimedAt: new Date() });

    const busy = await notifier.send(message('opened'), noc.id);
    expect(busy).toEqual({ ok: false, retryable: true, error: `message ${key} is being posted by another attempt` });
    expect(messagesIn(sim, noc.id)).toHaveLength(0);

    await models.SlackMessage.updateOne({ _id: key }, { $set: { claimedAt: new Date(Date.now() - CLAIM_PATIENCE_MS - 1000) } });
    expect(await notifier.send(message('opened'), noc.id)).toEqual(OK);
    await expectOneOfEach();
  });
});

describe('the incident channel’s name', () => {
  it('taken by a channel someone else made: the notifier makes <slug>-2', async () => {
    const { sim, notifier, noc } = rig;
    const squatter = sim.addChannel({ name: INCIDENT, members: ['U0ALICE'] });

    expect(await notifier.send(message('opened'), noc.id)).toEqual(OK);

    expect(sim.callsOf('conversations.create').map((c) => c.args.name)).toEqual([INCIDENT, `${INCIDENT}-2`]);
    const channel = await incidentChannel(sim);
    expect(channel).toMatchObject({ name: `${INCIDENT}-2`, is_private: true, creator: BOT_USER });
    expect(channel.members.has('U0ALICE')).toBe(true);
    expect(messagesIn(sim, squatter.id)).toEqual([]);
    expect(await models.SlackIncidentChannel.findById(INCIDENT).lean()).toMatchObject({ name: `${INCIDENT}-2`, channelId: channel.id });
    await expectOneOfEach();
  });

  it('taken by a channel this bot made for it (recorded nowhere): reused, no second create', async () => {
    const { sim, notifier, noc } = rig;
    const earlier = sim.addChannel({ name: INCIDENT, is_private: true, members: [BOT_USER] });
    expect(earlier.creator).toBe(BOT_USER);

    expect(await notifier.send(message('opened'), noc.id)).toEqual(OK);

    expect(sim.callsOf('conversations.create').map((c) => c.args.name)).toEqual([INCIDENT]);
    expect((await models.SlackIncidentChannel.findById(INCIDENT).lean())!.channelId).toBe(earlier.id);
    expect(earlier).toMatchObject({ topic: 'critical link down: r1' });
    expect(earlier.members.has('U0ALICE')).toBe(true);
    expect(keyed(sim, earlier.id, alertKey('incident-channel'))).toHaveLength(1);
    await expectOneOfEach();
  });
});
