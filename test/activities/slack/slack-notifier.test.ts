import { remediationTaskId } from '../../../bot/core/checklist';
import { archiveDueChannels } from '../../../bot/slack/archive-channels';
import { models } from '../../../src/models';
import { useTestDatabase } from '../../support/database';
import type { SimChannel } from '../../support/slack-simulator';
import { buttons, callCount, INCIDENT, incidentChannel, keyed, keyOf, logger, message, messagesIn, seedDirectory, seedIncident, shown, startRig, type Rig } from './slack-notifier-rig';

/**
 * One incident's life in Slack, in order: the first page opens the incident channel, a retry
 * posts nothing, acknowledgement updates in place, an escalation reaches a person, and the
 * resolution summarises and schedules the archive. Checked on what the simulator holds.
 */
useTestDatabase('slack_notifier');
let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
  await seedDirectory();
  await seedIncident();
});
afterAll(() => rig?.sim.close());

const alertKey = (target: string) => `${INCIDENT}:alert:${target}`;
const INCIDENT_CHANNEL_ALERT = alertKey('incident-channel');

describe('the Slack notifier over one incident', () => {
  let channel: SimChannel;

  it('first page: opens the private incident channel, posts and pins the alert there, posts the checklist and the alert to #noc', async () => {
    const { sim, notifier, noc, runbooks } = rig;
    expect(await notifier.send(message('opened'), noc.id)).toEqual({ ok: true, retryable: false });

    const created = sim.callsOf('conversations.create');
    expect(created).toHaveLength(1);
    expect(created[0]!.args).toMatchObject({ name: INCIDENT, is_private: 'true' });
    channel = await incidentChannel(sim);
    expect(channel).toMatchObject({ name: INCIDENT, is_private: true, is_archived: false, topic: 'critical link down: r1' });
    expect(channel.purpose).toContain(`StateTrace incident ${INCIDENT}`);
    expect([...channel.members].sort()).toEqual(['U0ALICE', 'U0BOT']);
    expect(await models.SlackIncidentChannel.findById(INCIDENT).lean()).toMatchObject({ name: INCIDENT, channelId: channel.id, readyAt: expect.any(Date) });

    // The incident channel: the alert (pinned, with customer ids) and the link-down checklist.
    const inChannel = messagesIn(sim, channel.id);
    expect(inChannel.map(keyOf)).toEqual([INCIDENT_CHANNEL_ALERT, `${INCIDENT}:checklist:link-down`]);
    const [alert, checklist] = inChannel;
    expect([...channel.pins]).toEqual([alert!.ts]);
    expect(shown(alert!)).toContain('CUST-1');
    expect(buttons(alert!).map((b) => b.action_id)).toEqual(['incident_ack', 'incident_failover', 'incident_resolve', 'incident_checklist']);

    const items = runbooks.get('link-down')!.checklist;
    const taskIds = items.map((item) => remediationTaskId(INCIDENT, 'link-down', item.id));
    expect(buttons(checklist!)).toEqual(taskIds.map((value) => ({ action_id: 'task_done', value })));
    const tasks = await models.RemediationTask.find({ incidentId: INCIDENT }).lean();
    expect(tasks.map((t) => t._id).sort()).toEqual([...taskIds].sort());
    expect(tasks.every((t) => !t.done && t.runbookId === 'link-down')).toBe(true);

    // #noc: the alert once, counting customers without naming them.
    const nocMessages = messagesIn(sim, noc.id);
    expect(nocMessages.map(keyOf)).toEqual([alertKey(noc.id)]);
    expect(shown(nocMessages[0]!)).not.toContain('CUST-1');
    expect(shown(nocMessages[0]!)).toContain('1 customer');
    expect(shown(nocMessages[0]!)).toContain(INCIDENT);

    // Every post is recorded with its ts; nothing was updated (all fresh).
    const records = await models.SlackMessage.find({ incidentId: INCIDENT }).lean();
    expect(records.map((r) => [r._id, r.channelId, r.ts]).sort()).toEqual(
      [
        [INCIDENT_CHANNEL_ALERT, channel.id, alert!.ts],
        [`${INCIDENT}:checklist:link-down`, channel.id, checklist!.ts],
        [alertKey(noc.id), noc.id, nocMessages[0]!.ts],
      ].sort(),
    );
    expect(callCount(sim, 'chat.update')).toBe(0);
  });

  it('the same page again (a retry) posts nothing and creates nothing', async () => {
    const { sim, notifier, noc } = rig;
    const before = { posts: callCount(sim, 'chat.postMessage'), creates: callCount(sim, 'conversations.create'), messages: sim.messages.size };
    const tasksBefore = await models.RemediationTask.countDocuments({ incidentId: INCIDENT });

    expect(await notifier.send(message('opened'), noc.id)).toEqual({ ok: true, retryable: false });

    expect({ posts: callCount(sim, 'chat.postMessage'), creates: callCount(sim, 'conversations.create'), messages: sim.messages.size }).toEqual(before);
    expect(await models.RemediationTask.countDocuments({ incidentId: INCIDENT })).toBe(tasksBefore);
    expect([...channel.pins]).toHaveLength(1);
    // It only refreshes the two alert copies with the incident as it is now.
    expect(sim.callsOf('chat.update')).toHaveLength(2);
  });

  it('acknowledged (no page): updates both alert copies in place and adds one timeline line', async () => {
    const { sim, notifier, noc } = rig;
    await models.Incident.updateOne(
      { _id: INCIDENT },
      { $set: { state: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: { platform: 'slack', id: 'U0ALICE', name: 'alice' } } },
    );
    const postsBefore = sim.callsOf('chat.postMessage').length;
    const updatesBefore = sim.callsOf('chat.update').length;
    const editsBefore = new Map([...sim.messages.values()].map((m) => [m.ts, m.edited]));

    expect(await notifier.send(message('acknowledged', { page: false, text: 'acknowledged by alice' }), noc.id)).toEqual({ ok: true, retryable: false });

    const posts = sim.callsOf('chat.postMessage').slice(postsBefore);
    expect(posts.map((p) => p.args.channel)).toEqual([channel.id]);
    expect(messagesIn(sim, channel.id).map(keyOf)).toEqual([INCIDENT_CHANNEL_ALERT, `${INCIDENT}:checklist:link-down`, `${INCIDENT}:acknowledged:timeline`]);
    expect(shown(messagesIn(sim, channel.id)[2]!)).toContain('acknowledged by alice');
    expect(messagesIn(sim, noc.id)).toHaveLength(1);

    const alerts = [...keyed(sim, channel.id, `${INCIDENT}:alert:`), ...keyed(sim, noc.id, `${INCIDENT}:alert:`)];
    const updates = sim.callsOf('chat.update').slice(updatesBefore);
    expect(updates.map((u) => `${u.args.channel}/${u.args.ts}`).sort()).toEqual(alerts.map((a) => `${a.channel}/${a.ts}`).sort());
    for (const alert of alerts) {
      expect(alert.edited).toBe(editsBefore.get(alert.ts)! + 1);
      expect(alert.text).toContain('acknowledged by alice');
      expect(shown(alert)).toContain('Acknowledged');
      expect(buttons(alert).map((b) => b.action_id)).not.toContain('incident_ack');
      expect(buttons(alert).map((b) => b.action_id)).toContain('incident_resolve');
    }
    expect(shown(alerts[0]!)).toContain('CUST-1');
    expect(shown(alerts[1]!)).not.toContain('CUST-1');
  });

  it('a non-paging message for an incident with no Slack channel yet is delivered without calling Slack', async () => {
    const { sim, notifier, noc } = rig;
    const quiet = 'inc-20261125-r1-0b0b';
    await seedIncident(quiet);
    const before = sim.calls.length;

    expect(await notifier.send(message('acknowledged', { incidentId: quiet, page: false }), noc.id)).toEqual({ ok: true, retryable: false });

    expect(sim.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(await models.SlackIncidentChannel.findById(quiet).lean()).toBeNull();
    expect(await models.SlackMessage.countDocuments({ incidentId: quiet })).toBe(0);
  });

  it('escalation to a person: a direct message with the alert, and an invitation to the incident channel', async () => {
    const { sim, notifier, noc } = rig;
    expect(await notifier.send(message('escalated', { text: 'escalated to U0BOB' }), 'U0BOB')).toEqual({ ok: true, retryable: false });

    expect(sim.callsOf('conversations.open').map((c) => c.args.users)).toEqual(['U0BOB']);
    const dm = [...sim.channels.values()].find((c) => c.name === 'im:U0BOB')!;
    const dmMessages = messagesIn(sim, dm.id);
    expect(dmMessages.map(keyOf)).toEqual([alertKey('U0BOB')]);
    expect(shown(dmMessages[0]!)).not.toContain('CUST-1');
    expect(dmMessages[0]!.text).toContain('acknowledged by alice');
    expect(channel.members.has('U0BOB')).toBe(true);
    expect(sim.callsOf('conversations.invite').filter((c) => c.args.users === 'U0BOB').map((c) => c.args.channel)).toEqual([channel.id]);

    // One timeline line; no second alert in the incident channel or #noc.
    expect(keyed(sim, channel.id, `${INCIDENT}:alert:`)).toHaveLength(1);
    expect(keyed(sim, channel.id, `${INCIDENT}:escalated:timeline`)).toHaveLength(1);
    expect(messagesIn(sim, noc.id)).toHaveLength(1);
    expect(await models.SlackMessage.findById(alertKey('U0BOB')).lean()).toMatchObject({ channelId: dm.id, ts: dmMessages[0]!.ts, incidentChannel: false });
  });

  it('resolved: posts the summary in the incident channel and schedules the archive; the archive job archives it once', async () => {
    const { sim, client, notifier, noc } = rig;
    const resolvedAt = new Date(Date.now() - 5_000);
    await models.Incident.updateOne({ _id: INCIDENT }, { $set: { state: 'resolved', resolvedAt, summary: 'Carrier replaced the optic at the far end', mttaSec: 40, mttrSec: 300 } });

    expect(await notifier.send(message('resolved', { text: 'Carrier replaced the optic at the far end' }), noc.id)).toEqual({ ok: true, retryable: false });

    const [resolution] = keyed(sim, channel.id, `${INCIDENT}:resolution`);
    expect(resolution).toBeDefined();
    expect(shown(resolution!)).toContain('Carrier replaced the optic at the far end');
    expect(resolution!.text).toContain('[RESOLVED]');
    expect(keyed(sim, channel.id, `${INCIDENT}:resolved:timeline`)).toHaveLength(1);
    for (const alert of [...keyed(sim, channel.id, `${INCIDENT}:alert:`), ...keyed(sim, noc.id, `${INCIDENT}:alert:`)]) {
      expect(alert.text).toMatch(/resolved$/);
      expect(buttons(alert).map((b) => b.action_id)).not.toContain('incident_resolve');
    }
    expect(messagesIn(sim, noc.id)).toHaveLength(1);

    const record = (await models.SlackIncidentChannel.findById(INCIDENT).lean())!;
    expect(record.resolvedAt).toEqual(resolvedAt);
    expect(record.archiveAt).toEqual(new Date(resolvedAt.getTime() + 3600_000));

    const archiveAt = record.archiveAt!.getTime();
    expect(await archiveDueChannels({ client, models, logger }, new Date(archiveAt - 1000))).toBe(0);
    expect(channel.is_archived).toBe(false);
    expect(await archiveDueChannels({ client, models, logger }, new Date(archiveAt + 1000))).toBe(1);
    expect(channel.is_archived).toBe(true);
    expect((await models.SlackIncidentChannel.findById(INCIDENT).lean())!.archivedAt).toEqual(expect.any(Date));
    expect(await archiveDueChannels({ client, models, logger }, new Date(archiveAt + 2000))).toBe(0);
    expect(sim.callsOf('conversations.archive')).toHaveLength(1);
  });
});
