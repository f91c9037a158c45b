import { OverwriteType, PermissionFlagsBits } from 'discord.js';
import { customIds } from '../../bot/discord/render/render-discord';
import { models } from '../../src/models';
import { outageState } from '../../workflows/messages';
import { useTestDatabase } from '../support/database';
import { isolateSuite, isolationEnv } from '../support/suite-isolation';
import { discordEnv, startTestDiscordBot, startTestDiscordSimulator, TEST_GUILD } from '../support/discord-bot-rig';
import type { DiscordSimulator } from '../support/discord-simulator';
import { rigRouteFile, startOutageRig, type OutageRig } from '../support/outage-rig';
import { until } from '../support/until';

/**
 * An outage run from Discord, end to end on the testbed (id 7) and the Discord simulator:
 * link cut → private incident channel in the category, alert posted and pinned (on-call role
 * mentioned) and sent to #noc → Acknowledge pressed (a gateway interaction) → workflow
 * acknowledged → both alert copies edited in place → Fail over pressed → backup route installed
 * in the edge namespace → resolve by slash command in the channel
 * → summary posted, channel locked and moved to the archive category.
 */
let sim: DiscordSimulator;
let rig: OutageRig;
let bot: Awaited<ReturnType<typeof startTestDiscordBot>>;
afterAll(async () => {
  await bot?.stop();
  await rig?.stop();
  await sim?.stop();
}, 60_000);
useTestDatabase('e2e_discord');
beforeAll(async () => {
  sim = await startTestDiscordSimulator();
  const suite = isolateSuite();
  rig = await startOutageRig({
    testbedId: 7,
    temporalAddress: process.env.STATETRACE_TEST_TEMPORAL_ADDRESS!,
    ...suite,
    failbackDelaySec: 5,
    env: discordEnv(sim),
    // Fail-over by hand, alerts to #noc on Discord, bob on call, a runbook and a customer.
    routeFile: (tb) =>
      rigRouteFile(tb, 5)
        .replace('mode: automatic', 'mode: manual')
        .replace('notify: [{ platform: console, target: noc, minSeverity: info }]', `oncall: { discord: ['${TEST_GUILD.bob.id}'] }, notify: [{ platform: discord, target: '${TEST_GUILD.nocChannelId}', minSeverity: info }]`)
        .replace('    owner: { team: net }', '    owner: { team: net }\n    runbooks: [link-down]\n    customerIds: [CUST-4711]'),
  });
  bot = await startTestDiscordBot(sim, rig.client, suite.taskQueue, isolationEnv(suite));
}, 90_000);

const alertText = (channelId: string, messageId: string) => JSON.stringify(sim.messagesIn(channelId).find((m) => m.id === messageId));

it('cut → private channel and pinned alert → Acknowledge → workflow acknowledged → alerts edited in place → Fail over → resolve → locked and archived', async () => {
  const { tb } = rig;
  await tb.fail('primary');

  const record = await until('the incident channel', () => models.DiscordIncidentChannel.findOne({ readyAt: { $exists: true } }).lean(), 30_000);
  const incidentId = record._id;
  const channel = sim.channel(record.channelId!)!;
  expect(channel).toMatchObject({ name: incidentId, parent_id: TEST_GUILD.incidentsCategoryId });
  const everyone = channel.permission_overwrites!.find((o) => o.id === TEST_GUILD.id)!;
  expect(BigInt(everyone.deny) & PermissionFlagsBits.ViewChannel).toBe(PermissionFlagsBits.ViewChannel); // private

  const alert = await until('the pinned alert', () => models.DiscordMessage.findOne({ incidentId, role: 'alert', incidentChannel: true, messageId: { $exists: true } }).lean(), 10_000);
  await until('pinned', () => sim.pinsIn(channel.id).some((m) => m.id === alert.messageId), 10_000);
  const pinned = sim.messagesIn(channel.id).find((m) => m.id === alert.messageId)!;
  expect(pinned.content).toMatch(new RegExp(`^<@&${TEST_GUILD.oncallRoleId}> `));
  expect(JSON.stringify(pinned.embeds)).toContain('CUST-4711'); // the private incident channel shows customers
  const nocAlert = await until('the page in #noc', () => models.DiscordMessage.findOne({ incidentId, channelId: TEST_GUILD.nocChannelId, role: 'alert', messageId: { $exists: true } }).lean(), 10_000);
  expect(alertText(TEST_GUILD.nocChannelId, nocAlert.messageId!)).not.toContain('CUST-4711');
  expect(alertText(TEST_GUILD.nocChannelId, nocAlert.messageId!)).toContain(customIds.ack(incidentId));
  await until('the link-down checklist', () => models.DiscordMessage.findOne({ incidentId, role: 'checklist', runbookId: 'link-down', messageId: { $exists: true } }).lean(), 10_000);

  // Acknowledge from the alert in #noc, as bob (a responder through his Discord role).
  const press = sim.interact({ customId: customIds.ack(incidentId), message: nocAlert.messageId!, member: 'bob' });
  expect((await press.callback).afterMs).toBeLessThan(3000);
  const handle = rig.client.workflow.getHandle(rig.outageWorkflowId());
  await until('acknowledged', async () => (await handle.query(outageState)).acknowledgedBy?.id === TEST_GUILD.bob.id, 10_000);
  await until('the #noc alert edited in place', () => (/Acknowledged by \*\*bob\*\*/.test(alertText(TEST_GUILD.nocChannelId, nocAlert.messageId!)) ? true : undefined), 10_000);
  await until('the pinned alert edited in place', () => (/Acknowledged by \*\*bob\*\*/.test(alertText(channel.id, alert.messageId!)) ? true : undefined), 10_000);
  expect(alertText(TEST_GUILD.nocChannelId, nocAlert.messageId!)).not.toContain(customIds.ack(incidentId));
  expect(await models.DiscordMessage.countDocuments({ incidentId, role: 'alert' })).toBe(2); // edited, not posted again
  expect(sim.callsTo(/\/channels\/\d+\/messages\/\d+$/).filter((c) => c.method === 'PATCH').length).toBeGreaterThanOrEqual(2);
  expect(await models.AuditEntry.findOne({ action: 'command.ack', outcome: 'ok' }).lean()).toMatchObject({ actor: { platform: 'discord', id: TEST_GUILD.bob.id }, incidentId });
  await until('a timeline line in the channel', () => (sim.messagesIn(channel.id).some((m) => /acknowledged/.test(m.content) && m.content.includes('bob')) ? true : undefined), 10_000);

  // Fail over from the pinned alert in the incident channel, as alice.
  await sim.interact({ customId: customIds.failover(incidentId), message: alert.messageId!, member: 'alice' }).callback;
  await until('backup installed', () => rig.edgeNextHop() === tb.links.backup.coreAddress, 30_000);

  // Resolve with the slash command in the incident channel: the incident is implied.
  const resolve = sim.interact({ name: 'statetrace', subcommand: 'resolve', options: { note: 'carrier replaced the optic' }, member: 'alice', channelId: channel.id });
  expect((await resolve.callback).afterMs).toBeLessThan(3000);
  // The route is on its backup: the outage resolves once it has failed back (docs/outage-lifecycle.md, rule 5).
  await until('the resolution requested', async () => (await handle.query(outageState)).resolveRequestedBy?.id === TEST_GUILD.alice.id, 10_000);
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await tb.heal('primary');
  expect((await handle.result()).phase).toBe('resolved');
  expect(rig.edgeNextHop()).toBe(tb.links.primary.coreAddress);
  const summary = await until('the summary', () => models.DiscordMessage.findOne({ incidentId, role: 'resolution', messageId: { $exists: true } }).lean(), 15_000);
  expect(summary.channelId).toBe(channel.id);
  expect(JSON.stringify(sim.messagesIn(channel.id).find((m) => m.id === summary.messageId)!.embeds)).toContain('carrier replaced the optic');
  const locked = await until('locked and archived', () => {
    const c = sim.channel(channel.id)!;
    const e = c.permission_overwrites!.find((o) => o.id === TEST_GUILD.id && o.type === OverwriteType.Role);
    return c.parent_id === TEST_GUILD.archiveCategoryId && e && BigInt(e.deny) & PermissionFlagsBits.SendMessages ? c : undefined;
  }, 15_000);
  expect(locked.name).toBe(incidentId);
  expect(await models.DiscordIncidentChannel.findById(incidentId).lean()).toMatchObject({ lockedAt: expect.any(Date) });
}, 120_000);
