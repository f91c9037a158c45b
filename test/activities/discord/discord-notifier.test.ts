import { OverwriteType, PermissionFlagsBits, Routes, type APIGuildMember } from 'discord.js';
import { remediationTaskId } from '../../../bot/core/checklist';
import { customIds } from '../../../bot/discord/render/render-discord';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import { permissionsOf } from '../../support/discord-guild';
import type { SimChannel } from '../../support/discord-simulator';
import { buttons, callCount, INCIDENT, incidentChannel, keysIn, message, messagesIn, postedUnder, seedDirectory, seedIncident, shown, startRig, TEST_GUILD, type Rig } from './discord-notifier-rig';

/**
 * One incident's life in Discord, in order: the first page opens the private incident
 * channel, a retry posts nothing, acknowledgement edits in place, an escalation reaches a
 * second team channel, and the resolution summarises, locks and archives the channel.
 * Checked on what the simulator holds and on who may do what there.
 */
useTestDatabase('discord_notifier');
let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
  await seedDirectory();
  await seedIncident();
});
afterAll(() => rig?.sim.stop());

const OK = { ok: true, retryable: false };
const alertKey = (target: string) => `${INCIDENT}:alert:${target}`;
const INCIDENT_CHANNEL_ALERT = alertKey('incident-channel');
const CHECKLIST = `${INCIDENT}:checklist:link-down`;
const P = PermissionFlagsBits;

/** What a guild member (or the bot) may do in a channel now. */
const may = (userId: string, channel: SimChannel, permission: bigint, sim = rig.sim): boolean => {
  const guild = sim.guild(TEST_GUILD.id);
  return (permissionsOf(guild, guild.members.get(userId) as APIGuildMember, channel) & permission) === permission;
};

describe('the Discord notifier over one incident', () => {
  let channel: SimChannel;

  it('first page: opens a private incident channel in the Incidents category, posts and pins the alert (mentioning on-call) and the checklist, and the alert to #noc', async () => {
    const { sim, notifier, noc, runbooks } = rig;
    expect(await notifier.send(message('opened'), noc)).toEqual(OK);

    const created = sim.callsTo('POST /guilds/:guild/channels');
    expect(created).toHaveLength(1);
    channel = await incidentChannel(sim);
    expect(channel).toMatchObject({ name: INCIDENT, parent_id: TEST_GUILD.incidentsCategoryId, topic: expect.stringContaining(`[CRITICAL] ${INCIDENT} Core r1`) });
    expect(channel.permission_overwrites).toEqual([
      { id: TEST_GUILD.id, type: OverwriteType.Role, allow: '0', deny: String(P.ViewChannel) },
      { id: sim.botUser.id, type: OverwriteType.Member, allow: String(P.ViewChannel | P.SendMessages | P.ReadMessageHistory), deny: '0' },
      { id: TEST_GUILD.oncallRoleId, type: OverwriteType.Role, allow: String(P.ViewChannel | P.SendMessages | P.ReadMessageHistory), deny: '0' },
    ]);
    // Private: on-call (alice) sees it and writes in it; viv does not see it.
    expect(may(TEST_GUILD.alice.id, channel, P.ViewChannel | P.SendMessages)).toBe(true);
    expect(may(TEST_GUILD.viv.id, channel, P.ViewChannel)).toBe(false);
    expect(await models.DiscordIncidentChannel.findById(INCIDENT).lean()).toMatchObject({ name: INCIDENT, guildId: TEST_GUILD.id, channelId: channel.id, readyAt: expect.any(Date) });

    // The incident channel: the alert (pinned, pinging on-call, with customer ids), then the link-down checklist.
    expect(await keysIn(sim, channel.id)).toEqual([INCIDENT_CHANNEL_ALERT, CHECKLIST]);
    const [alert, checklist] = messagesIn(sim, channel.id);
    expect(sim.pinsIn(channel.id).map((m) => m.id)).toEqual([alert!.id]);
    expect(alert!.content).toMatch(new RegExp(`^<@&${TEST_GUILD.oncallRoleId}> \\[CRITICAL\\] ${INCIDENT}`));
    const alertPost = sim.callsTo('POST /channels/:channel/messages').find((c) => c.path === `/channels/${channel.id}/messages`);
    expect(alertPost!.body).toMatchObject({ allowed_mentions: { parse: [], roles: [TEST_GUILD.oncallRoleId] }, enforce_nonce: true, nonce: expect.stringMatching(/^[\w-]{25}$/) });
    expect(shown(alert!)).toContain('CUST-1');
    expect(buttons(alert!)).toEqual([customIds.ack(INCIDENT), customIds.failover(INCIDENT), customIds.resolve(INCIDENT), customIds.checklist(INCIDENT)]);

    const items = runbooks.get('link-down')!.checklist;
    expect(buttons(checklist!)).toEqual(items.map((item) => customIds.done('link-down', item.id)));
    const tasks = await models.RemediationTask.find({ incidentId: INCIDENT }).lean();
    expect(tasks.map((t) => t._id).sort()).toEqual(items.map((item) => remediationTaskId(INCIDENT, 'link-down', item.id)).sort());
    expect(await models.DiscordMessage.findById(CHECKLIST).lean()).toMatchObject({ role: 'checklist', runbookId: 'link-down', incidentChannel: true, messageId: checklist!.id });

    // #noc: the alert once, no ping, counting customers without naming them.
    expect(await keysIn(sim, noc)).toEqual([alertKey(noc)]);
    const [nocAlert] = messagesIn(sim, noc);
    expect(shown(nocAlert!)).not.toContain('CUST-1');
    expect(shown(nocAlert!)).toContain('1 customer');
    expect(nocAlert!.content).not.toContain('<@&');
    expect(sim.callsTo('POST /channels/:channel/messages').find((c) => c.path === `/channels/${noc}/messages`)!.body).toMatchObject({ allowed_mentions: { parse: [] } });

    // Every post is recorded with its message id; nothing was edited (all fresh).
    const records = await models.DiscordMessage.find({ incidentId: INCIDENT }).lean();
    expect(records.map((r) => [r._id, r.channelId, r.messageId]).sort()).toEqual(
      [
        [INCIDENT_CHANNEL_ALERT, channel.id, alert!.id],
        [CHECKLIST, channel.id, checklist!.id],
        [alertKey(noc), noc, nocAlert!.id],
      ].sort(),
    );
    expect(callCount(sim, 'PATCH /channels/:channel/messages/:message')).toBe(0);
  });

  it('the same page again (a retry) posts nothing and creates nothing; it refreshes both alert copies', async () => {
    const { sim, notifier, noc } = rig;
    const before = { posts: callCount(sim, 'POST /channels/:channel/messages'), creates: callCount(sim, 'POST /guilds/:guild/channels'), messages: sim.messages.size };
    const tasksBefore = await models.RemediationTask.countDocuments({ incidentId: INCIDENT });

    expect(await notifier.send(message('opened'), noc)).toEqual(OK);

    expect({ posts: callCount(sim, 'POST /channels/:channel/messages'), creates: callCount(sim, 'POST /guilds/:guild/channels'), messages: sim.messages.size }).toEqual(before);
    expect(await models.RemediationTask.countDocuments({ incidentId: INCIDENT })).toBe(tasksBefore);
    expect(sim.pinsIn(channel.id)).toHaveLength(1);
    expect(sim.callsTo('PATCH /channels/:channel/messages/:message')).toHaveLength(2);
  });

  it('acknowledged (no page): edits both alert copies in place and adds one timeline line', async () => {
    const { sim, notifier, noc } = rig;
    await models.Incident.updateOne({ _id: INCIDENT }, { $set: { state: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: { platform: 'discord', id: TEST_GUILD.alice.id, name: 'alice' } } });
    const postsBefore = callCount(sim, 'POST /channels/:channel/messages');
    const editsBefore = callCount(sim, 'PATCH /channels/:channel/messages/:message');
    const alerts = [(await postedUnder(sim, INCIDENT_CHANNEL_ALERT))!, (await postedUnder(sim, alertKey(noc)))!];
    const ids = alerts.map((a) => a.id);
    const contentBefore = alerts.map((a) => a.content);

    expect(await notifier.send(message('acknowledged', { page: false, text: 'acknowledged by alice' }), noc)).toEqual(OK);

    const posts = sim.callsTo('POST /channels/:channel/messages').slice(postsBefore);
    expect(posts.map((p) => p.path)).toEqual([`/channels/${channel.id}/messages`]);
    expect(await keysIn(sim, channel.id)).toEqual([INCIDENT_CHANNEL_ALERT, CHECKLIST, `${INCIDENT}:acknowledged:timeline`]);
    expect(messagesIn(sim, channel.id)[2]!.content).toContain('acknowledged by alice');
    expect(messagesIn(sim, noc)).toHaveLength(1);

    const edits = sim.callsTo('PATCH /channels/:channel/messages/:message').slice(editsBefore);
    expect(edits.map((e) => e.path).sort()).toEqual([`/channels/${channel.id}/messages/${ids[0]}`, `/channels/${noc}/messages/${ids[1]}`].sort());
    const [inChannel, inNoc] = [(await postedUnder(sim, INCIDENT_CHANNEL_ALERT))!, (await postedUnder(sim, alertKey(noc)))!];
    expect([inChannel.id, inNoc.id]).toEqual(ids);
    for (const [i, alert] of [inChannel, inNoc].entries()) {
      expect(alert.content).not.toBe(contentBefore[i]);
      expect(alert.content).toContain('acknowledged by alice');
      expect(alert.edited_timestamp).not.toBeNull();
      expect(shown(alert)).toContain('Acknowledged');
      expect(buttons(alert)).not.toContain(customIds.ack(INCIDENT));
      expect(buttons(alert)).toContain(customIds.resolve(INCIDENT));
    }
    expect(shown(inChannel)).toContain('CUST-1');
    expect(shown(inNoc)).not.toContain('CUST-1');
  });

  it('a non-paging message for an incident with no Discord channel yet is delivered without calling Discord', async () => {
    const { sim, notifier, noc } = rig;
    const quiet = 'inc-20261125-r1-0b0b';
    await seedIncident(quiet);
    const before = sim.calls.length;

    expect(await notifier.send(message('acknowledged', { incidentId: quiet, page: false }), noc)).toEqual(OK);

    expect(sim.calls.slice(before)).toEqual([]);
    expect(await models.DiscordIncidentChannel.findById(quiet).lean()).toBeNull();
    expect(await models.DiscordMessage.countDocuments({ incidentId: quiet })).toBe(0);
  });

  it('escalation to a second team channel: the alert there once, a timeline line, no second alert in the incident channel or #noc', async () => {
    const { sim, rest, notifier, noc } = rig;
    const escalation = (await rest.post(Routes.guildChannels(TEST_GUILD.id), { body: { name: 'core-escalation', type: 0 } })) as { id: string };

    expect(await notifier.send(message('escalated', { text: 'escalated to core-escalation' }), escalation.id)).toEqual(OK);

    expect(await keysIn(sim, escalation.id)).toEqual([alertKey(escalation.id)]);
    const [copy] = messagesIn(sim, escalation.id);
    expect(copy!.content).toContain('acknowledged by alice');
    expect(shown(copy!)).not.toContain('CUST-1');
    expect(await keysIn(sim, channel.id)).toEqual([INCIDENT_CHANNEL_ALERT, CHECKLIST, `${INCIDENT}:acknowledged:timeline`, `${INCIDENT}:escalated:timeline`]);
    expect(messagesIn(sim, noc)).toHaveLength(1);
    expect(await models.DiscordMessage.findById(alertKey(escalation.id)).lean()).toMatchObject({ channelId: escalation.id, messageId: copy!.id, incidentChannel: false });
  });

  it('resolved: posts the summary, then locks the channel (nobody but the bot writes, still private) in the Archive category; once', async () => {
    const { sim, notifier, noc } = rig;
    await models.Incident.updateOne({ _id: INCIDENT }, { $set: { state: 'resolved', resolvedAt: new Date(Date.now() - 5_000), summary: 'Carrier replaced the optic at the far end', mttaSec: 40, mttrSec: 300 } });

    expect(await notifier.send(message('resolved', { text: 'Carrier replaced the optic at the far end' }), noc)).toEqual(OK);

    const resolution = await postedUnder(sim, `${INCIDENT}:resolution`);
    expect(resolution?.channel_id).toBe(channel.id);
    expect(shown(resolution!)).toContain('Carrier replaced the optic at the far end');
    expect(resolution!.content).toMatch(/resolved$/);
    expect((await keysIn(sim, channel.id)).slice(-2)).toEqual([`${INCIDENT}:resolved:timeline`, `${INCIDENT}:resolution`]);
    for (const alert of await models.DiscordMessage.find({ incidentId: INCIDENT, role: 'alert' }).lean()) {
      const shownNow = sim.messages.get(alert.messageId!)!;
      expect(shownNow.content).toMatch(/resolved$/);
      expect(buttons(shownNow)).not.toContain(customIds.resolve(INCIDENT));
    }
    expect(messagesIn(sim, noc)).toHaveLength(1);

    expect(channel.parent_id).toBe(TEST_GUILD.archiveCategoryId);
    expect(channel.permission_overwrites).toEqual(
      expect.arrayContaining([
        { id: TEST_GUILD.id, type: OverwriteType.Role, allow: '0', deny: String(P.ViewChannel | P.SendMessages | P.SendMessagesInThreads | P.AddReactions) },
        { id: TEST_GUILD.oncallRoleId, type: OverwriteType.Role, allow: String(P.ViewChannel | P.ReadMessageHistory), deny: String(P.SendMessages | P.SendMessagesInThreads | P.AddReactions) },
      ]),
    );
    expect(may(TEST_GUILD.alice.id, channel, P.ViewChannel | P.ReadMessageHistory)).toBe(true);
    expect(may(TEST_GUILD.alice.id, channel, P.SendMessages)).toBe(false);
    expect(may(TEST_GUILD.alice.id, channel, P.AddReactions)).toBe(false);
    expect(may(TEST_GUILD.viv.id, channel, P.ViewChannel)).toBe(false);
    expect(may(sim.botUser.id, channel, P.SendMessages)).toBe(true);
    expect(await models.DiscordIncidentChannel.findById(INCIDENT).lean()).toMatchObject({ lockedAt: expect.any(Date) });

    const calls = sim.calls.length;
    expect(await notifier.send(message('resolved', { text: 'Carrier replaced the optic at the far end' }), noc)).toEqual(OK);
    // Nothing posted, created or locked again: the pin made sure of, the three alert copies refreshed.
    const edit = 'PATCH /channels/:channel/messages/:message';
    expect(sim.calls.slice(calls).map((c) => `${c.method} ${c.route}`)).toEqual(['PUT /channels/:channel/messages/pins/:message', edit, edit, edit]);
  });
});

describe('without an archive category or an on-call role', () => {
  let bare: Rig;
  beforeAll(async () => {
    bare = await startRig({ DISCORD_ARCHIVE_CATEGORY_ID: '', DISCORD_ONCALL_ROLE_ID: '' });
    await seedIncident('inc-20261125-r1-bare');
  });
  afterAll(() => bare?.sim.stop());

  it('opens the channel seen by the bot only, pings nobody, and locks it where it is', async () => {
    const { sim, notifier, noc } = bare;
    const incidentId = 'inc-20261125-r1-bare';
    expect(await notifier.send(message('opened', { incidentId }), noc)).toEqual(OK);
    const channel = await incidentChannel(sim, incidentId);
    expect(channel.permission_overwrites!.map((o) => o.id)).toEqual([TEST_GUILD.id, sim.botUser.id]);
    const alert = (await postedUnder(sim, `${incidentId}:alert:incident-channel`))!;
    expect(alert.content).toMatch(/^\[CRITICAL\]/);
    expect(sim.callsTo('POST /channels/:channel/messages').find((c) => c.path === `/channels/${channel.id}/messages`)!.body).toMatchObject({ allowed_mentions: { parse: [] } });

    await models.Incident.updateOne({ _id: incidentId }, { $set: { state: 'resolved', resolvedAt: new Date() } });
    expect(await notifier.send(message('resolved', { incidentId }), noc)).toEqual(OK);
    expect(sim.callsTo('PATCH /channels/:channel')).toHaveLength(0);
    expect(channel.parent_id).toBe(TEST_GUILD.incidentsCategoryId);
    expect(sim.callsTo('PUT /channels/:channel/permissions/:overwrite').map((c) => c.path)).toEqual([`/channels/${channel.id}/permissions/${TEST_GUILD.id}`]);
    expect(may(TEST_GUILD.alice.id, channel, P.ViewChannel, sim)).toBe(false);
  });
});
