import { routeRecordDoc } from '../../fixtures/route-records';
import type { WebClient } from '@slack/web-api';
import { createNotifierSlackClient } from '../../../activities/channels/slack/slack-client';
import { createSlackNotifier } from '../../../activities/channels/slack/slack-notifier';
import type { NotificationChannel, RenderedMessage } from '../../../activities/notify';
import type { NotificationKind } from '../../../activities/outage-contract';
import { createLogger } from '../../../src/logger';
import { models } from '../../../src/models';
import { loadRunbooks, type RunbookLibrary } from '../../../src/runbooks/load-runbooks';
import { compareTs } from '../../support/slack-conversations';
import { startSlackSimulator, type SimChannel, type SimMessage, type SlackSimulator } from '../../support/slack-simulator';

/**
 * The Slack notifier against the Slack simulator and the test database: one owner team
 * (on-call U0ALICE), route r1 (runbook link-down, customer CUST-1, down with link_down) and
 * its incidents, and a #noc channel the bot is in. Helpers read what a person would see.
 */

export const INCIDENT = 'inc-20261125-r1-7f3a';
export const BOT_USER = 'U0BOT';
export const logger = createLogger('silent');

export interface Rig {
  sim: SlackSimulator;
  /** The notifier's own client (no retries, 429 reported). */
  client: WebClient;
  runbooks: RunbookLibrary;
  notifier: NotificationChannel;
  noc: SimChannel;
}

/** A simulator, the notifier as the worker builds it, and the #noc channel (made by Alice, the bot a member). */
export async function startRig(): Promise<Rig> {
  const sim = await startSlackSimulator();
  const client = createNotifierSlackClient({ botToken: sim.token, apiUrl: sim.apiUrl });
  const runbooks = await loadRunbooks();
  const notifier = createSlackNotifier({ client, models, runbooks, privateChannels: true, archiveAfterSec: 3600, logger });
  const noc = sim.addChannel({ name: 'noc', members: ['U0ALICE', BOT_USER] });
  return { sim, client, runbooks, notifier, noc };
}

/** The team, route r1 and its latest health: everything but the incidents. */
export async function seedDirectory(): Promise<void> {
  await models.Team.create({ _id: 'core-net', name: 'Core network', contact: 'core-net@example.com', oncall: { slack: ['U0ALICE'], discord: [] } });
  await models.RouteRecord.create(routeRecordDoc('r1', { name: 'Core r1', owner: { team: 'core-net' }, customerIds: ['CUST-1'], runbooks: ['link-down'] }));
  await models.RouteHealthSnapshot.create({
    routeId: 'r1',
    at: new Date(),
    status: 'down',
    score: 0,
    confidence: 1,
    taxonomy: ['link_down'],
    sources: [{ kind: 'icmp', target: '192.0.2.1', status: 'down', detail: '100% loss' }],
  });
}

/** An open, critical incident on r1. */
export async function seedIncident(incidentId = INCIDENT): Promise<void> {
  await models.Incident.create({ _id: incidentId, workflowId: 'outage:r1', routes: ['r1'], severity: 'critical', state: 'open', trigger: 'link down', detectedAt: new Date(Date.now() - 60_000) });
}

/** A notification as the notify pipeline hands it to a channel. */
export function message(kind: NotificationKind, over: Partial<RenderedMessage> = {}): RenderedMessage {
  const incidentId = over.incidentId ?? INCIDENT;
  return { key: `${incidentId}:${kind}`, incidentId, kind, severity: 'critical', routes: ['r1'], title: 'r1 down', text: `r1 ${kind.replace(/_/g, ' ')}`, page: true, ...over };
}

/** The incident channel as recorded and as Slack has it. */
export async function incidentChannel(sim: SlackSimulator, incidentId = INCIDENT): Promise<SimChannel> {
  const record = await models.SlackIncidentChannel.findById(incidentId).lean();
  const channel = record?.channelId ? sim.channels.get(record.channelId) : undefined;
  if (!channel) throw new Error(`no Slack channel recorded for ${incidentId}`);
  return channel;
}

/** The messages in a channel, oldest first. */
export function messagesIn(sim: SlackSimulator, channelId: string): SimMessage[] {
  return [...sim.messages.values()].filter((m) => m.channel === channelId).sort((a, b) => compareTs(a.ts, b.ts));
}

/** The post-once key a message carries in its metadata. */
export const keyOf = (m: SimMessage): unknown => m.metadata?.event_payload.key;

/** The messages of a channel posted under keys starting with `prefix` (e.g. `<incident>:alert:`). */
export const keyed = (sim: SlackSimulator, channelId: string, prefix: string) =>
  messagesIn(sim, channelId).filter((m) => typeof keyOf(m) === 'string' && (keyOf(m) as string).startsWith(prefix));

/** Every interactive element of a message's blocks (buttons in actions blocks and section accessories). */
export function buttons(m: SimMessage): { action_id: string; value?: string }[] {
  const found: { action_id: string; value?: string }[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o.action_id === 'string') found.push({ action_id: o.action_id, ...(typeof o.value === 'string' ? { value: o.value } : {}) });
    Object.values(o).forEach(walk);
  };
  walk(m.blocks);
  return found;
}

/** Everything a person reads in a message: its text and its blocks. */
export const shown = (m: SimMessage): string => `${m.text ?? ''}\n${JSON.stringify(m.blocks ?? [])}`;

/** Calls of a method so far (answered or failed). */
export const callCount = (sim: SlackSimulator, method: string): number => sim.callsOf(method).length;
