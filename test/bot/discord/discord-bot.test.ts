import { ChannelType, InteractionResponseType, REST, Routes, type APIMessage } from 'discord.js';
import { registerDiscordCommands, type DiscordBot } from '../../../bot/discord/discord-bot';
import { customIds, renderAlert, renderChecklist } from '../../../bot/discord/render/render-discord';
import { ensureRemediationTasks, loadChecklist } from '../../../bot/core/checklist';
import { models } from '../../../src/models';
import { loadRunbooks, type RunbookLibrary } from '../../../src/runbooks/load-runbooks';
import { makeView } from '../../fixtures/incident-view';
import { routeRecordDoc } from '../../fixtures/route-records';
import { snapshotDatabase, useTestDatabase } from '../../support/database';
import { startTestDiscordBot, startTestDiscordSimulator, TEST_GUILD, testDiscordConfig } from '../../support/discord-bot-rig';
import type { DiscordSimulator, InteractionHandle } from '../../support/discord-simulator';
import { until } from '../../support/until';
import { startCoreRig, stateOf, type CoreRig } from '../core/core-harness';

/**
 * The Discord bot through the simulator's gateway, as Discord drives it: INTERACTION_CREATE
 * dispatches for slash commands and button presses, answered through interaction callbacks
 * and webhook edits within the 3 s deadline, on the real command core and outage workflow.
 */
const db = useTestDatabase('discord_bot');
let sim: DiscordSimulator;
let rig: CoreRig;
let bot: DiscordBot;
let rest: REST;
let runbooks: RunbookLibrary;

beforeAll(async () => {
  sim = await startTestDiscordSimulator();
  rig = await startCoreRig();
  bot = await startTestDiscordBot(sim, rig.client, rig.taskQueue);
  rest = new REST({ api: sim.apiUrl }).setToken(sim.botToken);
  runbooks = await loadRunbooks();
}, 60_000);
afterAll(async () => {
  await bot?.stop();
  await rig?.stop();
  await sim?.stop();
});
beforeEach(async () => {
  await db.clear();
  sim.reset();
  await models.RouteRecord.create(routeRecordDoc('r1', { name: 'Frankfurt edge uplink' }));
  await models.Team.create({ _id: 'net', name: 'Net', contact: 'net@example.com', oncall: { discord: [TEST_GUILD.bob.id] } });
});

const EPHEMERAL = 64;
const NOT_AGENDA = (snap: Record<string, unknown[]>) => Object.fromEntries(Object.entries(snap).filter(([c]) => c !== 'agendajobs'));
const LOADING = 1 << 7;

/** What the person sees once the bot has answered: the final text, and whether only they see it. */
async function answer(h: InteractionHandle): Promise<{ type: number; afterMs: number; text: string; ephemeral: boolean }> {
  const callback = await h.callback;
  const seen = await until(
    `the answer to ${h.kind} ${h.id}`,
    () => {
      const followUp = h.followUps().at(-1);
      if (followUp) return { text: followUp.content, ephemeral: ((followUp.flags ?? 0) & EPHEMERAL) !== 0 };
      const original = h.original();
      if (!original || (original.flags ?? 0) & LOADING || !original.content) return undefined;
      return { text: original.content, ephemeral: (callback.flags & EPHEMERAL) !== 0 };
    },
    20_000,
    { everyMs: 25 },
  );
  return { type: callback.type, afterMs: callback.afterMs, ...seen };
}

const command = (subcommand: string, member: string, options: Record<string, string> = {}, channelId?: string) =>
  sim.interact({ name: 'statetrace', subcommand, options, member, ...(channelId ? { channelId } : {}) });

async function postAlert(incidentId: string): Promise<APIMessage> {
  return (await rest.post(Routes.channelMessages(TEST_GUILD.nocChannelId), { body: renderAlert(makeView({ incidentId })) })) as APIMessage;
}

describe('registration', () => {
  it('npm run discord:register puts /statetrace with a subcommand per command into the guild, and repeating it replaces rather than adds', async () => {
    await registerDiscordCommands(testDiscordConfig(sim));
    await registerDiscordCommands(testDiscordConfig(sim));
    const commands = sim.commandsOf(TEST_GUILD.id);
    expect(commands.map((c) => c.name)).toEqual(['statetrace']);
    expect(commands[0]!.options!.map((o) => o.name).sort()).toEqual(['ack', 'failback', 'failover', 'help', 'history', 'incident', 'maint', 'oncall', 'packet', 'resolve', 'routes', 'status']);
  });
});

describe('read commands', () => {
  it('answers each of them privately, deferred within Discord’s 3 s, with the command core’s reply', async () => {
    await registerDiscordCommands(testDiscordConfig(sim));
    const cases: [string, Record<string, string>, RegExp][] = [
      ['help', {}, /commands: help \[command\]/],
      ['status', { route: 'r1' }, /^\*\*r1\*\* Frankfurt edge uplink \(prod, core, owner net\)\nnot measured yet\npaths: primary/],
      ['routes', {}, /^1 route\(s\):\n• r1 — Frankfurt edge uplink/],
      ['incident', {}, /^no open incidents$/],
      ['history', { route: 'r1', range: '24h' }, /^r1: no measurements or incidents in the last 24 h/],
      ['oncall', {}, new RegExp(`^• Net \\(net\\): Slack nobody · Discord <@${TEST_GUILD.bob.id}> · net@example.com$`)],
      ['packet', {}, /^there is no open incident$/],
    ];
    const handles = cases.map(([sub, options]) => command(sub, 'viv', options));
    const answers = await Promise.all(handles.map(answer));
    answers.forEach((a, i) => {
      expect([cases[i]![0], a.text]).toEqual([cases[i]![0], expect.stringMatching(cases[i]![2])]);
      expect(a.ephemeral).toBe(true);
      expect(a.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
      expect(a.afterMs).toBeLessThan(3000);
      expect(a.text).not.toMatch(/could not do that| failed: /);
    });
  }, 30_000);

  it('malformed options get the usage at once, privately, and change nothing', async () => {
    const before = NOT_AGENDA(await snapshotDatabase());
    const bad = await answer(command('maint', 'bob', { route: 'r1', duration: 'forever', reason: 'x' }));
    expect(bad).toMatchObject({ type: InteractionResponseType.ChannelMessageWithSource, ephemeral: true });
    expect(bad.text).toBe('"forever" is not a duration between 1m and 7d — usage: maint <route> <duration, e.g. 2h or 90m> [reason]');
    const twoWords = await answer(command('status', 'viv', { route: 'r1 r2' }));
    expect(twoWords.text).toMatch(/too many words — usage: status/);
    expect(NOT_AGENDA(await snapshotDatabase())).toEqual(before);
  });
});

describe('changes through buttons and commands', () => {
  it('refuses a viewer pressing Fail over, says why only to them, audits it with the Discord identity, and the outage goes on', async () => {
    const { handle, incidentId } = await rig.startOutage();
    const alert = await postAlert(incidentId);
    const failoversBefore = rig.calls.executeFailover.length;
    const refused = await answer(sim.interact({ customId: customIds.failover(incidentId), message: alert.id, member: 'viv' }));
    expect(refused.ephemeral).toBe(true);
    expect(refused.text).toMatch(/you need the responder role for that; you are a viewer/);
    expect(refused.afterMs).toBeLessThan(3000);
    expect(await models.AuditEntry.find({ action: 'command.failover' }).lean()).toEqual([
      expect.objectContaining({ outcome: 'refused', actor: { platform: 'discord', id: TEST_GUILD.viv.id, name: 'viv' }, target: { kind: 'incident', id: incidentId } }),
    ]);
    expect((await stateOf(handle)).phase).toBe('open');
    expect(rig.calls.executeFailover).toHaveLength(failoversBefore);
  });

  it('bob, a responder through his Discord role, acknowledges with the button: the workflow records him, the channel sees it', async () => {
    const { handle, incidentId } = await rig.startOutage();
    const alert = await postAlert(incidentId);
    const acked = await answer(sim.interact({ customId: customIds.ack(incidentId), message: alert.id, member: 'bob' }));
    expect(acked).toMatchObject({ ephemeral: false, type: InteractionResponseType.DeferredChannelMessageWithSource });
    expect(acked.text).toMatch(/acknowledged/i);
    const state = await stateOf(handle);
    expect(state.acknowledgedBy).toMatchObject({ platform: 'discord', id: TEST_GUILD.bob.id, name: 'bob' });
    expect(await models.AuditEntry.findOne({ action: 'command.ack' }).lean()).toMatchObject({ outcome: 'ok', actor: { platform: 'discord', id: TEST_GUILD.bob.id } });
  });

  it('alice fails the route over and resolves the outage with slash commands; both are said in the channel and audited', async () => {
    const { handle, incidentId } = await rig.startOutage();
    const failover = await answer(command('failover', 'alice', { route: 'r1', 'backup-path': 'backup-b' }));
    expect(failover.ephemeral).toBe(false);
    expect(failover.text).toMatch(/backup-b/);
    const resolved = await answer(command('resolve', 'alice', { note: 'replaced the optic' }));
    expect(resolved.ephemeral).toBe(false);
    expect(resolved.text).toMatch(/resolved/i);
    // r1 is on backup-b with its primary down: the outage resolves once it has failed back (docs/outage-lifecycle.md, rule 5).
    expect(resolved.text).toMatch(/r1 is still on a backup path/);
    const state = await until('the resolution requested', async () => {
      const s = await stateOf(handle);
      return s.resolveRequestedBy ? s : undefined;
    }, 20_000);
    // Its fail-back loop runs (the primary is checked), and the route says why it is not back yet.
    expect(state).toMatchObject({ phase: 'recovering', resolveRequestedBy: { platform: 'discord', id: TEST_GUILD.alice.id } });
    expect(state.routes[0]).toMatchObject({ failover: 'done', activePath: 'backup-b' });
    const audit = await models.AuditEntry.find({ incidentId }).sort({ at: 1 }).lean();
    expect(audit.map((a) => [a.action, a.outcome, a.actor.platform, a.actor.id])).toEqual([
      ['command.failover', 'ok', 'discord', TEST_GUILD.alice.id],
      ['command.resolve', 'ok', 'discord', TEST_GUILD.alice.id],
    ]);
  }, 40_000);

  it('the other changes: ack and failback by slash command, maint, and the Resolve button', async () => {
    const { handle, incidentId } = await rig.startOutage();
    const ack = await answer(command('ack', 'bob', { 'incident-id': incidentId }));
    expect(ack).toMatchObject({ ephemeral: false });
    expect(ack.text).toMatch(/acknowledged/i);
    expect((await stateOf(handle)).acknowledgedBy).toMatchObject({ platform: 'discord', id: TEST_GUILD.bob.id });
    // Nothing awaits approval (not failed over): said only to bob.
    const failback = await answer(command('failback', 'bob'));
    expect(failback).toMatchObject({ ephemeral: true, text: expect.stringMatching(/^nothing awaits approval in /) });
    const maint = await answer(command('maint', 'bob', { route: 'r1', duration: '2h', reason: 'carrier work CR-4711' }));
    expect(maint).toMatchObject({ ephemeral: false, text: expect.stringMatching(/^bob put r1 in maintenance until .* UTC: carrier work CR-4711\. Outages on it are recorded, not paged\.$/) });
    expect(await models.MaintenanceWindow.find({ routeId: 'r1' }).lean()).toEqual([expect.objectContaining({ reason: 'carrier work CR-4711', source: 'chat', createdBy: { platform: 'discord', id: TEST_GUILD.bob.id, name: 'bob' } })]);
    const alert = await postAlert(incidentId);
    const resolved = await answer(sim.interact({ customId: customIds.resolve(incidentId), message: alert.id, member: 'bob' }));
    expect(resolved).toMatchObject({ ephemeral: false, text: `bob resolved ${incidentId}: resolved from the alert` });
    await until('the workflow to end', async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined), 20_000);
    const audit = await models.AuditEntry.find({ 'actor.platform': 'discord' }).sort({ at: 1 }).lean();
    expect(audit.map((a) => [a.action, a.outcome])).toEqual([
      ['command.ack', 'ok'],
      ['command.failback', 'ok'],
      ['command.maint', 'ok'],
      ['command.resolve', 'ok'],
    ]);
  }, 40_000);

  it('Checklist shows the items privately; Done in the incident channel completes one and redraws the checklist in place; a viewer’s Done is refused', async () => {
    const { incidentId } = await rig.startOutage();
    const channel = (await rest.post(Routes.guildChannels(TEST_GUILD.id), { body: { name: incidentId, type: ChannelType.GuildText, parent_id: TEST_GUILD.incidentsCategoryId } })) as { id: string };
    await models.DiscordIncidentChannel.create({ _id: incidentId, name: incidentId, guildId: TEST_GUILD.id, channelId: channel.id, claimedAt: new Date(), readyAt: new Date() });
    const runbook = runbooks.get('link-down')!;
    await ensureRemediationTasks({ models }, incidentId, runbook);
    const message = (await rest.post(Routes.channelMessages(channel.id), { body: renderChecklist(await loadChecklist({ models }, incidentId, runbook)) })) as APIMessage;
    const first = runbook.checklist[0]!;

    const alert = await postAlert(incidentId);
    const summary = await answer(sim.interact({ customId: customIds.checklist(incidentId), message: alert.id, member: 'viv' }));
    expect(summary.ephemeral).toBe(true);
    expect(summary.text).toContain(`0 of ${runbook.checklist.length} checklist items done for ${incidentId}; the checklists are pinned in <#${channel.id}>`);

    const refused = await answer(sim.interact({ customId: customIds.done('link-down', first.id), message: message.id, member: 'viv' }));
    expect(refused).toMatchObject({ ephemeral: true, type: InteractionResponseType.DeferredMessageUpdate });
    expect(refused.text).toMatch(/need the responder role/);
    expect(await models.RemediationTask.findById(`${incidentId}:link-down:${first.id}`).lean()).toMatchObject({ done: false });

    const done = sim.interact({ customId: customIds.done('link-down', first.id), message: message.id, member: 'bob' });
    expect((await done.callback).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    const redrawn = await until('the checklist redrawn', () => {
      const m = sim.messagesIn(channel.id).find((x) => x.id === message.id);
      return m?.embeds[0]?.description?.startsWith('✅') ? m : undefined;
    }, 10_000);
    expect(redrawn.embeds[0]!.title).toBe(`Checklist: ${runbook.title} (1 of ${runbook.checklist.length} done)`);
    expect(JSON.stringify(redrawn.components)).not.toContain(customIds.done('link-down', first.id));
    expect(JSON.stringify(redrawn.components)).toContain(customIds.done('link-down', runbook.checklist[1]!.id));
    expect(await models.RemediationTask.findById(`${incidentId}:link-down:${first.id}`).lean()).toMatchObject({ done: true, doneBy: { platform: 'discord', id: TEST_GUILD.bob.id } });
    expect(await models.AuditEntry.findOne({ action: 'checklist.complete', outcome: 'ok' }).lean()).toMatchObject({ actor: { platform: 'discord', id: TEST_GUILD.bob.id } });
  });
});
