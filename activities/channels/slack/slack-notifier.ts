import type { WebClient } from '@slack/web-api';
import { ensureRemediationTasks } from '../../../bot/core/checklist';
import { checklistMessage } from '../../../bot/slack/checklist-message';
import { loadIncidentView } from '../../../bot/core/load-incident-view';
import type { RunbookSource } from '../../../src/runbooks/load-runbooks';
import type { IncidentView } from '../../../bot/core/incident-view';
import { renderAlert, renderResolution, renderTimelineLine } from '../../../bot/slack/render/render-slack';
import type { Logger } from '../../../src/logger';
import type { Models } from '../../../src/models';
import type { Runbook } from '../../../src/runbooks/load-runbooks';
import type { NotificationChannel, RenderedMessage, SendOutcome } from '../../notify';
import { inviteUsers, openIncidentChannel, type IncidentChannelDeps } from './incident-channel';
import { postOnce } from './post-once';
import { SlackBusyError, slackErrorCode, slackFailure } from './slack-errors';

export interface SlackNotifierDeps {
  client: WebClient;
  models: Models;
  runbooks: RunbookSource & { get(id: string): Runbook | undefined };
  runbookBaseUrl?: string;
  privateChannels: boolean;
  archiveAfterSec: number;
  logger: Logger;
}

const USER_ID = /^[UW][A-Z0-9]+$/;

/**
 * Slack as a notification channel. A page opens the incident's channel once (alert pinned,
 * runbook checklists posted) and sends the alert to a target that has not had it yet (an
 * escalation level); every message then updates each alert copy in place and adds a line
 * to the incident channel's timeline. A message that must not page (acknowledged, failed
 * over) only updates. Each post happens once per key (post-once.ts).
 */
export function createSlackNotifier(deps: SlackNotifierDeps): NotificationChannel {
  let botUser: Promise<string> | undefined;
  // A failed look-up is forgotten, so the next call asks again.
  const botUserId = () =>
    (botUser ??= deps.client.auth.test().then(
      (r) => r.user_id!,
      (err: unknown) => {
        botUser = undefined;
        throw err;
      },
    ));
  const channelDeps = { client: deps.client, models: deps.models, privateChannels: deps.privateChannels, botUserId };

  return {
    name: 'slack',
    async send(msg: RenderedMessage, target: string): Promise<SendOutcome> {
      try {
        // Loaded once; copies outside a private incident channel show the customer count only.
        const fullView = await loadIncidentView(deps, msg.incidentId, { customers: true });
        if (!fullView) return { ok: false, retryable: false, error: `unknown incident ${msg.incidentId}` };
        const publicView: IncidentView = { ...fullView, customers: undefined };
        const channelView = deps.privateChannels ? fullView : publicView;
        const fresh = msg.page ? await page(deps, channelDeps, msg, target, { publicView, channelView }) : new Set<string>();
        const record = await deps.models.SlackIncidentChannel.findById(msg.incidentId, { channelId: 1, readyAt: 1 }).lean();
        if (!record) return { ok: true, retryable: false }; // not paged, and nothing shown yet: nothing to update
        // The page is still setting the channel up (Slack failing, say): this message waits for it, not dropped.
        if (!record.readyAt || !record.channelId) throw new SlackBusyError(`the incident channel of ${msg.incidentId} is not set up yet`);
        const incidentChannel = record.channelId;
        if (msg.kind !== 'opened') {
          await postOnce(deps, { key: `${msg.key}:timeline`, incidentId: msg.incidentId, channel: incidentChannel, role: 'timeline', incidentChannel: true, message: renderTimelineLine({ kind: msg.kind, text: msg.text, at: new Date().toISOString() }) });
        }
        if (msg.kind === 'resolved') await closeIncidentChannel(deps, channelView, incidentChannel);
        await updateAlerts(deps, msg.incidentId, { publicView, channelView }, fresh);
        return { ok: true, retryable: false };
      } catch (err) {
        const outcome = slackFailure(err);
        deps.logger.warn({ err, incidentId: msg.incidentId, target, retryable: outcome.retryable }, 'slack delivery failed');
        return outcome;
      }
    },
  };
}

/**
 * A page: the incident channel (opened once, alert pinned, checklists) and the alert to the
 * target unless it already has it. Resolves the ts of the messages posted just now.
 */
async function page(
  deps: SlackNotifierDeps,
  channelDeps: IncidentChannelDeps,
  msg: RenderedMessage,
  target: string,
  views: { publicView: IncidentView; channelView: IncidentView },
): Promise<Set<string>> {
  const incidentChannel = await openIncidentChannel(channelDeps, msg.incidentId);
  const inChannel = await postOnce(deps, { key: `${msg.incidentId}:alert:incident-channel`, incidentId: msg.incidentId, channel: incidentChannel, role: 'alert', incidentChannel: true, message: renderAlert(views.channelView) });
  // Every page, not only when just posted: a pin that failed (429) after the post is retried.
  await pin(deps.client, incidentChannel, inChannel.ts);
  await postChecklists(deps, views.channelView, incidentChannel);
  const fresh = new Set(inChannel.fresh ? [inChannel.ts] : []);
  const destination = await resolveTarget(deps.client, target);
  if (destination === incidentChannel) return fresh;
  if (USER_ID.test(target)) await inviteUsers(deps.client, incidentChannel, [target]);
  const paged = await postOnce(deps, { key: `${msg.incidentId}:alert:${target}`, incidentId: msg.incidentId, channel: destination, role: 'alert', incidentChannel: false, message: renderAlert(views.publicView) });
  if (paged.fresh) fresh.add(paged.ts);
  return fresh;
}

/** A user id gets a direct message; channel ids and names are posted to as they are. */
async function resolveTarget(client: WebClient, target: string): Promise<string> {
  if (!USER_ID.test(target)) return target;
  const dm = await client.conversations.open({ users: target });
  return dm.channel!.id!;
}

async function pin(client: WebClient, channel: string, ts: string): Promise<void> {
  try {
    await client.pins.add({ channel, timestamp: ts });
  } catch (err) {
    if (slackErrorCode(err) !== 'already_pinned') throw err;
  }
}

/** A checklist per runbook the incident view links (the routes' runbooks, then those matching what is wrong). */
async function postChecklists(deps: SlackNotifierDeps, view: IncidentView, channel: string): Promise<void> {
  const { incidentId } = view;
  for (const link of view.runbooks) {
    const runbook = deps.runbooks.get(link.id);
    if (!runbook) continue;
    await ensureRemediationTasks(deps, incidentId, runbook);
    const key = `${incidentId}:checklist:${runbook.id}`;
    await postOnce(deps, { key, incidentId, channel, role: 'checklist', incidentChannel: true, message: await checklistMessage(deps, incidentId, runbook) });
  }
}

/** Every alert copy shows the incident as it is now; those just posted already do. */
async function updateAlerts(deps: SlackNotifierDeps, incidentId: string, views: { publicView: IncidentView; channelView: IncidentView }, fresh: Set<string>): Promise<void> {
  const alerts = await deps.models.SlackMessage.find({ incidentId, role: 'alert', ts: { $exists: true } }).lean();
  for (const alert of alerts.filter((a) => !fresh.has(a.ts!))) {
    const message = renderAlert(alert.incidentChannel ? views.channelView : views.publicView);
    await deps.client.chat.update({ channel: alert.channelId, ts: alert.ts!, text: message.text, blocks: message.blocks });
  }
}

/** The summary goes to the incident channel; the channel is archived `archiveAfterSec` later by the archive job. */
async function closeIncidentChannel(deps: SlackNotifierDeps, view: IncidentView, channel: string): Promise<void> {
  await postOnce(deps, { key: `${view.incidentId}:resolution`, incidentId: view.incidentId, channel, role: 'resolution', incidentChannel: true, message: renderResolution(view) });
  const resolvedAt = view.resolvedAt ? new Date(view.resolvedAt) : new Date();
  await deps.models.SlackIncidentChannel.updateOne({ _id: view.incidentId }, { $set: { resolvedAt, archiveAt: new Date(resolvedAt.getTime() + deps.archiveAfterSec * 1000) } });
}
