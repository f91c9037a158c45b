import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { OverwriteType, PermissionFlagsBits, Routes, type APIChannel, type APIMessage } from 'discord.js';
import { createConsoleChannel } from '../../../activities/channels/console';
import { CLAIM_PATIENCE_MS } from '../../../activities/channels/claim';
import { messageNonce, postOnce } from '../../../activities/channels/discord/post-once';
import { createNotifyActivities } from '../../../activities/notify';
import type { NotifyInput, NotifyResult } from '../../../activities/outage-contract';
import { renderTimelineLine } from '../../../bot/discord/render/render-discord';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import { callCount, INCIDENT, incidentChannel, keysIn, logger, message, messagesIn, seedDirectory, seedIncident, shown, startRig, TEST_GUILD, type Rig } from './discord-notifier-rig';

/**
 * The Discord notifier when Discord or an earlier attempt lets it down: rate limits and 5xx
 * (retryable, nothing duplicated), refusals no retry fixes, a crash between creating the
 * incident channel and recording it, a crash between posting and recording, and attempts
 * running at once.
 */
const db = useTestDatabase('discord_notifier_failures');
let rig: Rig;

beforeEach(async () => {
  await db.clear();
  await seedDirectory();
  await seedIncident();
  rig = await startRig();
});
afterEach(() => rig.sim.stop());

const OK = { ok: true, retryable: false };
const alertKey = (target: string) => `${INCIDENT}:alert:${target}`;
const POST_MESSAGE = 'POST /channels/:channel/messages';
const CREATE_CHANNEL = 'POST /guilds/:guild/channels';
/** Temporal waits out Retry-After before the retry; so does the test (the client refuses until then). */
const waitOut = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Exactly one incident channel, with one alert (pinned), the checklist and `timeline` lines, and one alert in #noc; every claim has its message. */
async function expectOneOfEach({ timeline = [] as string[] } = {}): Promise<void> {
  const { sim, noc } = rig;
  const channel = await incidentChannel(sim);
  expect(sim.channelsOf(TEST_GUILD.id).filter((c) => c.name === INCIDENT)).toEqual([channel]);
  expect(await keysIn(sim, channel.id)).toEqual([alertKey('incident-channel'), `${INCIDENT}:checklist:link-down`, ...timeline]);
  expect(await keysIn(sim, noc)).toEqual([alertKey(noc)]);
  expect(sim.pinsIn(channel.id).map((m) => m.id)).toEqual([messagesIn(sim, channel.id)[0]!.id]);
  expect(await models.DiscordMessage.countDocuments({ incidentId: INCIDENT, messageId: { $exists: false } })).toBe(0);
}

describe('rate limits and 5xx', () => {
  it('429 posting: retryable after Retry-After with nothing posted and the claim given up; until then the client refuses without calling Discord; then the retry posts once', async () => {
    const { sim, notifier, noc } = rig;
    expect(await notifier.send(message('opened'), noc)).toEqual(OK);
    const channel = await incidentChannel(sim);
    const timeline = `${INCIDENT}:acknowledged:timeline`;
    sim.failNext(POST_MESSAGE, { status: 429, retryAfterSec: 1 });

    expect(await notifier.send(message('acknowledged', { page: false }), noc)).toEqual({ ok: false, retryable: true, retryAfterMs: 1000, error: expect.stringContaining('rate limited') });
    expect(await keysIn(sim, channel.id)).not.toContain(timeline);
    expect(await models.DiscordMessage.findById(timeline).lean()).toBeNull(); // refused: the claim is given up

    // The client knows the channel's bucket is spent: it refuses at once, Discord hears nothing.
    const posts = callCount(sim, POST_MESSAGE);
    const early = await notifier.send(message('acknowledged', { page: false }), noc);
    expect(early).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('rate limited') });
    expect(early.retryAfterMs).toBeGreaterThan(0);
    expect(early.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(callCount(sim, POST_MESSAGE)).toBe(posts);

    await waitOut(1000);
    expect(await notifier.send(message('acknowledged', { page: false }), noc)).toEqual(OK);
    expect((await keysIn(sim, channel.id)).filter((k) => k === timeline)).toHaveLength(1);
    await expectOneOfEach({ timeline: [timeline] });
  });

  it('429 pinning after the alert was posted: the retry pins it without posting it again', async () => {
    const { sim, notifier, noc } = rig;
    sim.failNext('PUT /channels/:channel/messages/pins/:message', { status: 429, retryAfterSec: 1 });

    expect(await notifier.send(message('opened'), noc)).toMatchObject({ ok: false, retryable: true, retryAfterMs: 1000 });
    await waitOut(1000);
    expect(await notifier.send(message('opened'), noc)).toEqual(OK);
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
      targets: ['console:noc', `discord:${noc}`],
      title: 'r1 down',
      text: 'primary path lost every probe',
      page: true,
    };
    sim.failNext(POST_MESSAGE, { status: 429, retryAfterSec: 1 });

    const err = await asAttempt(1)(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'NotificationUndelivered', nonRetryable: false, nextRetryDelay: 1000 });
    expect(await models.Notification.findById(input.idempotencyKey).lean()).toMatchObject({ complete: false });

    await waitOut(1000);
    expect(await asAttempt(2)(input)).toEqual({
      duplicate: false,
      deliveries: [
        { channel: 'console', target: 'noc', ok: true },
        { channel: 'discord', target: noc, ok: true },
      ],
    });
    expect(consoleLines).toHaveLength(1);
    await expectOneOfEach();
    expect(await models.Notification.findById(input.idempotencyKey).lean()).toMatchObject({ complete: true });
  });

  it('503 creating the channel is retryable; the retry looks for it, finds none and makes one at once', async () => {
    const { sim, notifier, noc } = rig;
    sim.failNext(CREATE_CHANNEL, { status: 503 });

    const failed = await notifier.send(message('opened'), noc);
    expect(failed).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('HTTP 503') });
    expect(failed.retryAfterMs).toBeUndefined();

    expect(await notifier.send(message('opened'), noc)).toEqual(OK);
    expect(sim.callsTo(CREATE_CHANNEL).map((c) => c.status)).toEqual([503, 201]);
    expect(sim.callsTo('GET /guilds/:guild/channels')).toHaveLength(1);
    await expectOneOfEach();
  });

  it('503 posting is retryable; the message may have gone out, so the retry posts it with the same nonce', async () => {
    const { sim, notifier, noc } = rig;
    sim.failNext(POST_MESSAGE, { status: 503 });

    expect(await notifier.send(message('opened'), noc)).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('HTTP 503') });
    expect(await models.DiscordMessage.findById(alertKey('incident-channel')).lean()).toMatchObject({ claimedAt: expect.any(Date) });

    expect(await notifier.send(message('opened'), noc)).toEqual(OK);
    const [failed, retried] = sim.callsTo(POST_MESSAGE);
    expect([failed!.status, retried!.status]).toEqual([503, 200]);
    expect((retried!.body as { nonce: string }).nonce).toBe((failed!.body as { nonce: string }).nonce);
    await expectOneOfEach();
  });

  it('5xx editing an alert copy is retryable; the retry edits it', async () => {
    const { sim, notifier, noc } = rig;
    expect(await notifier.send(message('opened'), noc)).toEqual(OK);
    sim.failNext('PATCH /channels/:channel/messages/:message', { status: 502 });

    expect(await notifier.send(message('acknowledged', { page: false }), noc)).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('HTTP 502') });
    expect(await notifier.send(message('acknowledged', { page: false }), noc)).toEqual(OK);
    expect(sim.callsTo('PATCH /channels/:channel/messages/:message').map((c) => c.status)).toEqual([502, 200, 200]);
    expect(await keysIn(sim, (await incidentChannel(sim)).id)).toContain(`${INCIDENT}:acknowledged:timeline`);
  });
});

describe('refusals no retry changes', () => {
  it('a channel the bot cannot see (403, 50001 Missing Access), one that does not exist (404, 10003), a target that is no channel id', async () => {
    const { sim, rest, notifier } = rig;
    // Someone made it private without letting the bot in.
    const hidden = (await rest.post(Routes.guildChannels(TEST_GUILD.id), {
      body: { name: 'leadership', type: 0, permission_overwrites: [{ id: TEST_GUILD.id, type: OverwriteType.Role, allow: '0', deny: String(PermissionFlagsBits.ViewChannel) }] },
    })) as APIChannel;

    expect(await notifier.send(message('opened'), hidden.id)).toEqual({ ok: false, retryable: false, error: `discord: Missing Access (50001, HTTP 403 on POST /channels/${hidden.id}/messages)` });
    expect(await models.DiscordMessage.findById(alertKey(hidden.id)).lean()).toBeNull(); // refused: the claim is given up
    expect(messagesIn(sim, hidden.id)).toEqual([]);

    const gone = '399999999999999999';
    expect(await notifier.send(message('opened'), gone)).toEqual({ ok: false, retryable: false, error: `discord: Unknown Channel (10003, HTTP 404 on POST /channels/${gone}/messages)` });
    expect(await notifier.send(message('opened'), '#noc')).toEqual({ ok: false, retryable: false, error: 'discord: #noc is not a channel id' });

    // The incident channel itself was set up all the same, once.
    expect(sim.callsTo(CREATE_CHANNEL)).toHaveLength(2); // ours above, and the incident channel
    expect(await keysIn(sim, (await incidentChannel(sim)).id)).toEqual([alertKey('incident-channel'), `${INCIDENT}:checklist:link-down`]);
  });
});

describe('once across crashes and concurrent attempts', () => {
  /** The incident channel as an attempt that died before recording it left it. */
  async function leftByEarlierAttempt(): Promise<APIChannel> {
    const { rest, sim } = rig;
    const P = PermissionFlagsBits;
    return (await rest.post(Routes.guildChannels(TEST_GUILD.id), {
      body: {
        name: INCIDENT,
        type: 0,
        parent_id: TEST_GUILD.incidentsCategoryId,
        permission_overwrites: [
          { id: TEST_GUILD.id, type: OverwriteType.Role, allow: '0', deny: String(P.ViewChannel) },
          { id: sim.botUser.id, type: OverwriteType.Member, allow: String(P.ViewChannel | P.SendMessages | P.ReadMessageHistory), deny: '0' },
        ],
      },
    })) as APIChannel;
  }

  it('crash between creating the incident channel and recording it: the retry finds it by name in the category, no second channel', async () => {
    const { sim, notifier, noc } = rig;
    await models.DiscordIncidentChannel.create({ _id: INCIDENT, name: INCIDENT, guildId: TEST_GUILD.id, claimedAt: new Date() });
    const earlier = await leftByEarlierAttempt();

    expect(await notifier.send(message('opened'), noc)).toEqual(OK);

    expect(sim.callsTo(CREATE_CHANNEL)).toHaveLength(1); // the earlier attempt's
    expect(await models.DiscordIncidentChannel.findById(INCIDENT).lean()).toMatchObject({ channelId: earlier.id, readyAt: expect.any(Date) });
    await expectOneOfEach();
  });

  it('a channel of that name the bot did not make is not taken; while the claim is young it is "being set up", then a channel is made', async () => {
    const { sim, rest, notifier, noc } = rig;
    await models.DiscordIncidentChannel.create({ _id: INCIDENT, name: INCIDENT, guildId: TEST_GUILD.id, claimedAt: new Date() });
    const someoneElses = (await rest.post(Routes.guildChannels(TEST_GUILD.id), { body: { name: INCIDENT, type: 0, parent_id: TEST_GUILD.incidentsCategoryId } })) as APIChannel;

    expect(await notifier.send(message('opened'), noc)).toEqual({ ok: false, retryable: true, error: `the incident channel of ${INCIDENT} is being set up` });
    expect(sim.callsTo(CREATE_CHANNEL)).toHaveLength(1);

    await models.DiscordIncidentChannel.updateOne({ _id: INCIDENT }, { $set: { claimedAt: new Date(Date.now() - CLAIM_PATIENCE_MS - 1000) } });
    expect(await notifier.send(message('opened'), noc)).toEqual(OK);
    const channel = await incidentChannel(sim);
    expect(channel.id).not.toBe(someoneElses.id);
    expect(messagesIn(sim, someoneElses.id)).toEqual([]);
    expect(await keysIn(sim, channel.id)).toEqual([alertKey('incident-channel'), `${INCIDENT}:checklist:link-down`]);
  });

  it('crash between posting and recording: the retry’s post with the same nonce gets the message Discord already has; recorded, brought up to date, nothing twice', async () => {
    const { sim, rest, notifier, noc } = rig;
    const key = alertKey(noc);
    await models.DiscordMessage.create({ _id: key, incidentId: INCIDENT, channelId: noc, role: 'alert', incidentChannel: false, claimedAt: new Date() });
    const posted = (await rest.post(Routes.channelMessages(noc), { body: { content: 'r1 down (posted before the crash)', nonce: messageNonce(key), enforce_nonce: true } })) as APIMessage;

    expect(await notifier.send(message('opened'), noc)).toEqual(OK);

    expect(sim.callsTo(POST_MESSAGE).filter((c) => c.path === `/channels/${noc}/messages`)).toHaveLength(2);
    expect(messagesIn(sim, noc).map((m) => m.id)).toEqual([posted.id]);
    expect(await models.DiscordMessage.findById(key).lean()).toMatchObject({ messageId: posted.id, channelId: noc });
    // Recovered, not fresh: edited to show the incident as it is now.
    const alert = sim.messages.get(posted.id)!;
    expect(alert.edited_timestamp).not.toBeNull();
    expect(alert.content).toContain(`[CRITICAL] ${INCIDENT}`);
    expect(shown(alert)).not.toContain('CUST-1');
    await expectOneOfEach();
  });

  it('two attempts posting the same key at once: one message, both recorded with its id', async () => {
    const { sim, rest, noc } = rig;
    const input = { key: `${INCIDENT}:flapping:timeline`, incidentId: INCIDENT, channelId: noc, role: 'timeline' as const, incidentChannel: false, message: renderTimelineLine({ kind: 'flapping', text: 'r1 flapping', at: new Date().toISOString() }) };

    const [a, b] = await Promise.all([postOnce({ rest, models }, input), postOnce({ rest, models }, input)]);

    expect(a.messageId).toBe(b.messageId);
    expect([a.fresh, b.fresh].sort()).toEqual([false, true]);
    expect(messagesIn(sim, noc).map((m) => m.id)).toEqual([a.messageId]);
    expect(await models.DiscordMessage.findById(input.key).lean()).toMatchObject({ messageId: a.messageId });
  });
});
