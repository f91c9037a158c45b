import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { PROJECT_ROOT } from '../config';
import type { DigestData, DigestIncident } from './build-digest';
import { escapeMrkdwn } from '../../bot/slack/render/mrkdwn';

export const DIGEST_TEMPLATE = path.join(PROJECT_ROOT, 'templates', 'digest', 'digest.md.hbs');

/** A Slack Block Kit section. */
export interface DigestBlock {
  type: 'section';
  text: { type: 'mrkdwn'; text: string };
}

export interface RenderedDigest {
  /** Slack mrkdwn (also readable as Markdown on a console). */
  text: string;
  /** The same text as Block Kit sections, one per paragraph (at most 3000 characters each). */
  blocks: DigestBlock[];
}

const LIST_MAX = 40;
const ROUTES_MAX = 5;
const SECTION_MAX = 3000;
const BLOCKS_MAX = 50;

const hb = Handlebars.create();
let compiled: HandlebarsTemplateDelegate | undefined;

/** `45s`, `4m 12s`, `1h 05m`, `2d 03h`; `n/a` when unknown. */
export function formatDuration(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec)) return 'n/a';
  const s = Math.round(sec);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3600))}h`;
}

const time = (d: Date) => `${d.toISOString().slice(11, 16)} UTC`;
const dateTime = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const routes = (ids: string[]) => escapeMrkdwn(ids.slice(0, ROUTES_MAX).join(', ') + (ids.length > ROUTES_MAX ? ` +${ids.length - ROUTES_MAX}` : ''));
const SEVERITY_ORDER = ['critical', 'major', 'warning', 'info'];

function incidentView(i: DigestIncident, when: (d: Date) => string) {
  return {
    id: escapeMrkdwn(i.id),
    severity: escapeMrkdwn(i.severity),
    state: escapeMrkdwn(i.state.replace(/_/g, ' ')),
    routes: routes(i.routes),
    detected: when(i.detectedAt),
    mtta: formatDuration(i.mttaSec),
    mttr: formatDuration(i.mttrSec),
    acknowledgedBy: i.acknowledgedBy ? escapeMrkdwn(i.acknowledgedBy) : '',
  };
}

/** The digest as mrkdwn text and Block Kit sections, from templates/digest/digest.md.hbs. */
export function renderDigest(data: DigestData): RenderedDigest {
  compiled ??= hb.compile(fs.readFileSync(DIGEST_TEMPLATE, 'utf8'), { noEscape: true });
  const severities = Object.entries(data.bySeverity)
    .sort(([a], [b]) => SEVERITY_ORDER.indexOf(a) - SEVERITY_ORDER.indexOf(b))
    .map(([s, n]) => `${n} ${escapeMrkdwn(s)}`)
    .join(', ');
  const attention = data.attention.slice(0, LIST_MAX);
  const tasks = data.openTasks.slice(0, Math.max(0, LIST_MAX - attention.length));
  const view = {
    day: data.day,
    incidentCount: data.incidents.length,
    incidentWord: data.incidents.length === 1 ? 'incident' : 'incidents',
    severities,
    mtta: data.mtta.count ? `${formatDuration(data.mtta.meanSec)} (mean of ${data.mtta.count})` : 'n/a',
    mttr: data.mttr.count ? `${formatDuration(data.mttr.meanSec)} (mean of ${data.mttr.count})` : 'n/a',
    incidents: data.incidents.slice(0, LIST_MAX).map((i) => incidentView(i, time)),
    moreIncidents: Math.max(0, data.incidents.length - LIST_MAX),
    flappiest: data.flappiest.map((f, n) => ({
      rank: n + 1,
      routeId: escapeMrkdwn(f.routeId),
      name: f.name ? escapeMrkdwn(f.name) : '',
      flaps: plural(f.flaps, 'flapping transition'),
      incidents: plural(f.incidents, 'incident'),
    })),
    attention: attention.map((i) => ({ ...incidentView(i, dateTime), reason: i.reason })),
    tasks: tasks.map((t) => ({ incidentId: escapeMrkdwn(t.incidentId), runbookId: escapeMrkdwn(t.runbookId), text: escapeMrkdwn(t.text) })),
    moreAttention: data.attention.length + data.openTasks.length - attention.length - tasks.length,
    attentionCount: data.attention.length + data.openTasks.length,
  };
  const text = compiled(view)
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { text, blocks: toBlocks(text) };
}

/** One section per paragraph; a paragraph over Slack's 3000 characters is cut at line ends. */
function toBlocks(text: string): DigestBlock[] {
  const chunks: string[] = [];
  for (const paragraph of text.split('\n\n')) {
    let chunk = '';
    for (const line of paragraph.split('\n')) {
      const piece = line.length > SECTION_MAX ? `${line.slice(0, SECTION_MAX - 1)}…` : line;
      if (chunk && chunk.length + 1 + piece.length > SECTION_MAX) {
        chunks.push(chunk);
        chunk = '';
      }
      chunk = chunk ? `${chunk}\n${piece}` : piece;
    }
    if (chunk) chunks.push(chunk);
  }
  return chunks.slice(0, BLOCKS_MAX).map((c) => ({ type: 'section', text: { type: 'mrkdwn', text: c } }));
}
