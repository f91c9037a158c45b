import { Routes, type APIUser, type REST } from 'discord.js';
import { ensureRemediationTasks, loadChecklist } from '../../../bot/core/checklist';
import type { IncidentView } from '../../../bot/core/incident-view';
import { loadIncidentView } from '../../../bot/core/load-incident-view';
import type { RunbookSource } from '../../../src/runbooks/load-runbooks';
import { renderAlert, renderChecklist, renderResolution, renderTimelineLine } from '../../../bot/discord/render/render-discord';
import type { Logger } from '../../../src/logger';
import type { Models } from '../../../src/models';
import type { Runbook } from '../../../src/runbooks/load-runbooks';
import type { NotificationChannel, RenderedMessage, SendOutcome } from '../../notify';
import { discordFailure } from './discord-errors';
import { lockIncidentChannel, openIncidentChannel, type IncidentChannelConfig, type IncidentChannelDeps } from './incident-channel';
import { postOnce } from './post-once';

export interface DiscordNotifierDeps {
  rest: REST;
  models: Models;
  runbooks: RunbookSource & { get(id: string): Runbook | undefined };
  runbookBaseUrl?: string;
  config: IncidentChannelConfig;
  logger: Logger;
}

/** A Discord channel id: a target is a team's channel. */
const SNOWFLAKE = /^\d{17,20}$/;

/** The alert as each copy shows it: with customer ids and the on-call mention in the (private) incident channel only. */
interface AlertViews {
  incidentChannel: IncidentView;
  elsewhere: IncidentView;
}

/**
 * Discord as a notification channel. A page opens the incident's private channel once
 * (alert pinned, runbook checklists posted) and sends the alert to the target channel if it
 * has not had it yet; every message then edits each alert copy in place and adds a line to
 * the incident channel's timeline; the resolution is summarised there and the channel
 * locked. A message that must not page only updates. Each post happens once per key
 * (post-once.ts).
 */
export function createDiscordNotifier(deps: DiscordNotifierDeps): NotificationChannel {
  let botUser: Promise<string> | undefined;
  const botUserId = () =>
    (botUser ??= deps.rest.get(Routes.user('@me')).then(
      (user) => (user as APIUser).id,
      (err: unknown) => {
        botUser = undefined; // asked again next time, not cached as failed
        throw err;
      },
    ));
  const channelDeps: IncidentChannelDeps = { rest: deps.rest, models: deps.models, config: deps.config, botUserId };

  return {
    name: 'discord',
    async send(msg: RenderedMessage, target: string): Promise<SendOutcome> {
      if (!SNOWFLAKE.test(target)) return { ok: false, retryable: false, error: `discord: ${target} is not a channel id` };
      try {
        const incidentChannel = await loadIncidentView(deps, msg.incidentId, { customers: true });
        if (!incidentChannel) return { ok: false, retryable: false, error: `unknown incident ${msg.incidentId}` };
        const views: AlertViews = { incidentChannel, elsewhere: { ...incidentChannel, customers: undefined } };
        const fresh = msg.page ? await page(deps, channelDeps, msg, target, views) : new Set<string>();
        const channelId = (await deps.models.DiscordIncidentChannel.findById(msg.incidentId, { channelId: 1 }).lean())?.channelId;
        if (!channelId) return { ok: true, retryable: false }; // not paged, and nothing shown yet: nothing to update
        if (msg.kind !== 'opened') {
          const line = renderTimelineLine({ kind: msg.kind, text: msg.text, at: new Date().toISOString() });
          await postOnce(deps, { key: `${msg.key}:timeline`, incidentId: msg.incidentId, channelId, role: 'timeline', incidentChannel: true, message: line });
        }
        if (msg.kind === 'resolved') {
          await postOnce(deps, { key: `${msg.incidentId}:resolution`, incidentId: msg.incidentId, channelId, role: 'resolution', incidentChannel: true, message: renderResolution(views.incidentChannel) });
          await lockIncidentChannel(channelDeps, msg.incidentId, channelId);
        }
        await updateAlerts(deps, msg.incidentId, views, fresh);
        return { ok: true, retryable: false };
      } catch (err) {
        const outcome = discordFailure(err);
        deps.logger.warn({ err, incidentId: msg.incidentId, target, retryable: outcome.retryable }, 'discord delivery failed');
        return outcome;
      }
    },
  };
}

/**
 * A page: the incident channel (opened once, alert pinned, checklists) and the alert to the
 * target unless it already has it. Resolves the ids of the messages posted just now.
 */
async function page(deps: DiscordNotifierDeps, channelDeps: IncidentChannelDeps, msg: RenderedMessage, target: string, views: AlertViews): Promise<Set<string>> {
  const { incidentId } = msg;
  const channelId = await openIncidentChannel(channelDeps, views.incidentChannel);
  const alert = renderIncidentChannelAlert(deps, views);
  const inChannel = await postOnce(deps, { key: `${incidentId}:alert:incident-channel`, incidentId, channelId, role: 'alert', incidentChannel: true, message: alert });
  // Every page, not only when just posted: a pin that failed (429) after the post is retried. Pinning twice is harmless.
  await deps.rest.put(Routes.channelMessagesPin(channelId, inChannel.messageId), { reason: `StateTrace incident ${incidentId}` });
  await postChecklists(deps, views.incidentChannel, channelId);
  await deps.models.DiscordIncidentChannel.updateOne({ _id: incidentId, readyAt: { $exists: false } }, { $set: { readyAt: new Date() } });
  const fresh = new Set(inChannel.fresh ? [inChannel.messageId] : []);
  if (target === channelId) return fresh;
  const paged = await postOnce(deps, { key: `${incidentId}:alert:${target}`, incidentId, channelId: target, role: 'alert', incidentChannel: false, message: renderAlert(views.elsewhere) });
  if (paged.fresh) fresh.add(paged.messageId);
  return fresh;
}

const renderIncidentChannelAlert = (deps: DiscordNotifierDeps, views: AlertViews) => renderAlert(views.incidentChannel, { mentionRoleId: deps.config.oncallRoleId });

/** A checklist per runbook the incident view links (the routes' runbooks, then those matching what is wrong). */
async function postChecklists(deps: DiscordNotifierDeps, view: IncidentView, channelId: string): Promise<void> {
  const { incidentId } = view;
  for (const link of view.runbooks) {
    const runbook = deps.runbooks.get(link.id);
    if (!runbook) continue;
    await ensureRemediationTasks(deps, incidentId, runbook);
    const message = renderChecklist(await loadChecklist(deps, incidentId, runbook));
    await postOnce(deps, { key: `${incidentId}:checklist:${runbook.id}`, incidentId, channelId, role: 'checklist', incidentChannel: true, runbookId: runbook.id, message });
  }
}

/** Every alert copy shows the incident as it is now; those just posted already do. */
async function updateAlerts(deps: DiscordNotifierDeps, incidentId: string, views: AlertViews, fresh: Set<string>): Promise<void> {
  const alerts = await deps.models.DiscordMessage.find({ incidentId, role: 'alert', messageId: { $exists: true } }).lean();
  for (const alert of alerts.filter((a) => !fresh.has(a.messageId!))) {
    const message = alert.incidentChannel ? renderIncidentChannelAlert(deps, views) : renderAlert(views.elsewhere);
    await deps.rest.patch(Routes.channelMessage(alert.channelId, alert.messageId!), { body: message });
  }
}
