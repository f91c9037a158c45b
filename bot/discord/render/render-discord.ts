import { ButtonStyle, ComponentType, escapeMarkdown, type APIActionRowComponent, type APIButtonComponent, type APIEmbed, type APIEmbedField } from 'discord.js';
import type { ChecklistView } from '../../core/checklist';
import {
  alertActions,
  alertHeadline,
  capList,
  formatDuration,
  incidentState,
  plural,
  responseTimes,
  routeContext,
  severityContext,
  subjectOf,
  TIMELINE_EMOJI,
} from '../../core/incident-presentation';
import type { IncidentView } from '../../core/incident-view';

/**
 * Discord messages for incidents: embeds and button rows as the REST API takes them. Pure.
 * Button custom ids are what the Discord adapter routes on (customIds below); Discord
 * allows 100 characters, so a checklist button names the runbook and item, and the
 * incident comes from the channel it was pressed in.
 */

export interface DiscordMessage {
  content?: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponent>[];
  allowed_mentions: { parse: []; roles?: string[] };
}

/** Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const DISCORD_LIMITS = { content: 2000, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, embedTotal: 6000, customId: 100, label: 80, buttonsPerRow: 5, rows: 5 } as const;

export const customIds = {
  ack: (incidentId: string) => `st:ack:${incidentId}`,
  failover: (incidentId: string) => `st:failover:${incidentId}`,
  resolve: (incidentId: string) => `st:resolve:${incidentId}`,
  checklist: (incidentId: string) => `st:checklist:${incidentId}`,
  done: (runbookId: string, itemId: string) => `st:done:${runbookId}:${itemId}`,
};

export type ButtonAction = { kind: 'ack' | 'failover' | 'resolve' | 'checklist'; incidentId: string } | { kind: 'done'; runbookId: string; itemId: string };

/** The action a button's custom id stands for; undefined for anything else. */
export function parseCustomId(customId: string): ButtonAction | undefined {
  const [prefix, kind, ...rest] = customId.split(':');
  if (prefix !== 'st' || rest.length === 0 || rest.some((p) => p === '')) return undefined;
  if (kind === 'done') return rest.length === 2 ? { kind, runbookId: rest[0]!, itemId: rest[1]! } : undefined;
  if (kind === 'ack' || kind === 'failover' || kind === 'resolve' || kind === 'checklist') return { kind, incidentId: rest.join(':') };
  return undefined;
}

const COLOR: Record<IncidentView['severity'] | 'resolved', number> = { critical: 0xd32f2f, major: 0xef6c00, warning: 0xf9a825, info: 0x1565c0, resolved: 0x2e7d32 };
const LIST_CAP = 10;
const FIELD_ROUTES = 5;

/** User text inside Discord markdown: escaped, whitespace folded, cut to max characters. */
export function md(text: string, max = 1024): string {
  return clip(escapeMarkdown(text.replace(/\s+/g, ' ').trim()), max);
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never cut an escape in half: a trailing backslash would escape the ellipsis.
  return `${text.slice(0, max - 1).replace(/\\+$/, '')}…`;
}

/** `<t:…:f>` renders in each reader's time zone; `:R` as "5 minutes ago". */
const stamp = (iso: string, style: 'f' | 'R' | 'T' = 'f') => {
  const t = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(t) ? `<t:${t}:${style}>` : iso;
};

const field = (name: string, value: string, inline = false): APIEmbedField => ({ name: clip(name, DISCORD_LIMITS.fieldName), value: clip(value || '—', DISCORD_LIMITS.fieldValue), inline });

const button = (label: string, customId: string, style: ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Success | ButtonStyle.Danger): APIButtonComponent => ({
  type: ComponentType.Button,
  style,
  label: clip(label, DISCORD_LIMITS.label),
  custom_id: customId,
});

const rows = (buttons: APIButtonComponent[]): APIActionRowComponent<APIButtonComponent>[] => {
  const out: APIActionRowComponent<APIButtonComponent>[] = [];
  for (let i = 0; i < buttons.length && out.length < DISCORD_LIMITS.rows; i += DISCORD_LIMITS.buttonsPerRow) {
    out.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + DISCORD_LIMITS.buttonsPerRow) });
  }
  return out;
};

/** Drops fields from the end until the embed is within Discord's 6,000-character total. */
function fitEmbed(embed: APIEmbed): APIEmbed {
  const size = (e: APIEmbed) => (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  const fitted = { ...embed, fields: (embed.fields ?? []).slice(0, DISCORD_LIMITS.fields) };
  while (size(fitted) > DISCORD_LIMITS.embedTotal && fitted.fields.length > 0) fitted.fields.pop();
  return fitted;
}

/**
 * The alert: what is down, why, who is affected, what to check, and the action buttons.
 * `mentionRoleId`: the on-call role, mentioned (and allowed to ping) in the incident channel.
 */
export function renderAlert(view: IncidentView, opts: { mentionRoleId?: string } = {}): DiscordMessage {
  const flags = incidentState(view);
  const actions = alertActions(flags, view);
  const sev = severityContext(view);
  const routes = view.routes.slice(0, LIST_CAP).map(routeContext);
  const routeLines = routes.slice(0, FIELD_ROUTES).map((r) => `${r.healthEmoji} **${md(r.name, 80)}** ${r.health}${r.metrics ? ` · ${r.metrics}` : ''}${r.onBackup ? ` · on backup \`${md(r.activePath ?? '', 64)}\`` : ''}`);
  if (view.routeCount > routeLines.length) routeLines.push(`_and ${plural(view.routeCount - routeLines.length, 'more route')}_`);
  const signals = routes.filter((r) => r.signals.length > 0).map((r) => `**${md(r.id, 64)}**: ${md(capList(r.signals, 4), 300)}`);
  const customers = view.customers ? `${view.customerCount}: ${md(capList(view.customers, LIST_CAP, view.customerCount), 800)}` : `${plural(view.customerCount, 'customer')}${view.customerCount ? ' (identifiers in the incident channel)' : ''}`;
  const progress = [
    flags.acknowledged ? `✋ Acknowledged${view.acknowledgedBy ? ` by **${md(view.acknowledgedBy, 80)}**` : ''}${view.acknowledgedAt ? ` ${stamp(view.acknowledgedAt, 'R')}` : ''}` : undefined,
    view.failedOverAt ? `🔀 Failed over ${stamp(view.failedOverAt, 'R')}` : undefined,
    view.failedBackAt ? `↩️ Failed back ${stamp(view.failedBackAt, 'R')}` : undefined,
    flags.resolved ? `✅ Resolved${view.resolvedAt ? ` ${stamp(view.resolvedAt, 'R')}` : ''}${view.mttrSec ? ` · time to resolve ${formatDuration(view.mttrSec)}` : ''}` : undefined,
  ].filter(Boolean);
  const embed: APIEmbed = {
    title: clip(`${sev.severityEmoji} ${sev.severityLabel} · ${view.incidentId} · ${sev.stateLabel}`, DISCORD_LIMITS.title),
    description: clip([`**${md(subjectOf(view), 200)}**${view.trigger ? ` — ${md(view.trigger, 500)}` : ''}`, ...progress].join('\n'), DISCORD_LIMITS.description),
    color: flags.resolved ? COLOR.resolved : COLOR[view.severity],
    timestamp: view.detectedAt,
    fields: [
      field('Severity', `${sev.severityEmoji} ${sev.severityName}`, true),
      field('State', sev.stateLabel, true),
      field('Detected', `${stamp(view.detectedAt)} (${stamp(view.detectedAt, 'R')})`, true),
      field(view.routeCount === 1 ? 'Route' : `Routes (${view.routeCount})`, routeLines.join('\n')),
      field('Impact', [`**Dependencies:** ${md(capList(view.dependencies, LIST_CAP), 300)}`, `**Downstream (not affected yet):** ${md(capList(view.downstreamRoutes, LIST_CAP), 300)}`, `**Customers:** ${customers}`].join('\n')),
      ...(signals.length ? [field('Current signals', signals.join('\n'))] : []),
      ...(view.ownerTeams.length ? [field('Owner', md(capList(view.ownerTeams, 5), 300), true)] : []),
      ...(view.recommendedChecks.length ? [field('Check first', view.recommendedChecks.slice(0, 8).map((c) => `• ${md(c, 200)}`).join('\n'))] : []),
      ...(view.runbooks.length ? [field('Runbooks', view.runbooks.slice(0, LIST_CAP).map((r) => (r.url ? `[${md(r.title, 100)}](${r.url})` : md(r.title, 100))).join(' · '))] : []),
    ],
    footer: { text: 'StateTrace' },
  };
  const buttons = [
    ...(actions.canAck ? [button('Acknowledge', customIds.ack(view.incidentId), ButtonStyle.Primary)] : []),
    ...(actions.canFailover ? [button('Fail over', customIds.failover(view.incidentId), ButtonStyle.Danger)] : []),
    ...(actions.canResolve ? [button('Resolve', customIds.resolve(view.incidentId), ButtonStyle.Success)] : []),
    ...(actions.hasChecklist ? [button('Checklist', customIds.checklist(view.incidentId), ButtonStyle.Secondary)] : []),
  ];
  const headline = md(alertHeadline(view, flags), 1800);
  return {
    content: opts.mentionRoleId ? `<@&${opts.mentionRoleId}> ${headline}` : headline,
    embeds: [fitEmbed(embed)],
    components: rows(buttons),
    allowed_mentions: { parse: [], ...(opts.mentionRoleId ? { roles: [opts.mentionRoleId] } : {}) },
  };
}

/** A runbook's checklist for one incident: a Done button per open item, who did each done one. */
export function renderChecklist(input: ChecklistView): DiscordMessage {
  const done = input.tasks.filter((t) => t.done).length;
  const lines = input.tasks.map((t) => (t.done ? `✅ ~~${md(t.text, 200)}~~${t.doneBy ? ` — ${md(t.doneBy, 80)}` : ''}${t.doneAt ? ` ${stamp(t.doneAt, 'R')}` : ''}` : `⬜ ${md(t.text, 200)}`));
  const open = input.tasks.filter((t) => !t.done).map((t) => ({ t, id: customIds.done(input.runbook.id, t.id.split(':').at(-1)!) }));
  const embed: APIEmbed = {
    title: clip(`Checklist: ${input.runbook.title} (${done} of ${input.tasks.length} done)`, DISCORD_LIMITS.title),
    ...(input.runbook.url ? { url: input.runbook.url } : {}),
    description: clip(lines.join('\n') || 'no items', DISCORD_LIMITS.description),
    color: done === input.tasks.length ? COLOR.resolved : COLOR.info,
    footer: { text: `${input.incidentId} · runbook ${input.runbook.id}` },
  };
  return {
    embeds: [embed],
    // Ids over Discord's 100 characters would be refused: such an item is only listed.
    components: rows(open.filter(({ id }) => id.length <= DISCORD_LIMITS.customId).map(({ t, id }) => button(`Done: ${t.text}`, id, ButtonStyle.Secondary))),
    allowed_mentions: { parse: [] },
  };
}

/** One line of the incident channel's timeline. */
export function renderTimelineLine(input: { kind: string; text: string; at: string; actor?: string }): DiscordMessage {
  const label = input.kind.replace(/_/g, ' ');
  const content = `${stamp(input.at, 'T')} ${TIMELINE_EMOJI[input.kind] ?? '•'} **${label}**${input.actor ? ` (${md(input.actor, 80)})` : ''}: ${md(input.text, 1800)}`;
  return { content: clip(content, DISCORD_LIMITS.content), embeds: [], components: [], allowed_mentions: { parse: [] } };
}

/** The resolution summary for the incident channel. */
export function renderResolution(view: IncidentView): DiscordMessage {
  const { mttaSec, mttrSec } = responseTimes(view);
  const embed: APIEmbed = {
    title: clip(`✅ Resolved · ${view.incidentId}`, DISCORD_LIMITS.title),
    description: clip(`**${md(subjectOf(view), 200)}**${view.summary ? `\n${md(view.summary, 3000)}` : ''}`, DISCORD_LIMITS.description),
    color: COLOR.resolved,
    fields: [
      field('Time to acknowledge', mttaSec === undefined ? 'not acknowledged' : formatDuration(mttaSec), true),
      field('Time to resolve', mttrSec === undefined ? '—' : formatDuration(mttrSec), true),
      field('Acknowledged by', view.acknowledgedBy ? md(view.acknowledgedBy, 80) : '—', true),
      field(view.routeCount === 1 ? 'Route' : `Routes (${view.routeCount})`, md(capList(view.routes.map((r) => r.name), LIST_CAP, view.routeCount), 1000)),
    ],
    footer: { text: 'StateTrace · this channel is now read-only' },
  };
  return { content: md(alertHeadline(view), 1800), embeds: [embed], components: [], allowed_mentions: { parse: [] } };
}

/** A command core reply in Discord markdown: the core marks bold Slack-style (`*x*`). */
export function replyContent(text: string): string {
  return clip(text.replace(/(^|[\s(])\*([^*\s](?:[^*\n]*[^*\s])?)\*(?=[\s).,:;!?]|$)/g, '$1**$2**'), DISCORD_LIMITS.content);
}
