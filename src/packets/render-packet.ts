import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { PROJECT_ROOT } from '../config';
import { METRICS } from './chart-series';
import { describeBuckets, duration, utcDateTime, who } from './format';
import { renderPacketMarkdown } from './render-markdown';
import type { PacketData } from './packet-data';
import { renderChartSvg } from './svg-chart';

export { renderPacketMarkdown };

/**
 * The packet as HTML for print: templates/packet/packet.html.hbs with the `_*.hbs` files
 * beside it as partials (`_title.hbs` is `{{> title}}`). `{{value}}` is HTML-escaped;
 * `{{{…}}}` is refused at compile time except for the SVG charts this module generates
 * (names ending in `Svg`), so no operator- or route-supplied text reaches the page raw.
 */

export const PACKET_TEMPLATE_DIR = path.join(PROJECT_ROOT, 'templates', 'packet');

const cache = new Map<string, HandlebarsTemplateDelegate>();

/** Renders the packet's HTML (A4 print CSS, inline SVG charts, no script). */
export function renderPacketHtml(data: PacketData, dir: string = PACKET_TEMPLATE_DIR): string {
  let template = cache.get(dir);
  if (!template) {
    template = compilePacketTemplates(dir);
    cache.set(dir, template);
  }
  try {
    return template(packetView(data));
  } catch (err) {
    throw new Error(`packet template ${dir}: ${(err as Error).message}`);
  }
}

function compilePacketTemplates(dir: string): HandlebarsTemplateDelegate {
  // An instance per folder: partials and helpers registered elsewhere cannot change what renders.
  const hb = Handlebars.create();
  const read = (file: string) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`packet template ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const parse = (file: string) => {
    try {
      const ast = hb.parse(read(file));
      checkRawOutputs(ast, file);
      return ast;
    } catch (err) {
      throw new Error(`packet template ${file}: ${(err as Error).message}`);
    }
  };
  for (const name of fs.readdirSync(dir).filter((f) => f.startsWith('_') && f.endsWith('.hbs'))) {
    hb.registerPartial(name.slice(1, -'.hbs'.length), hb.compile(parse(path.join(dir, name))));
  }
  return hb.compile(parse(path.join(dir, 'packet.html.hbs')));
}

/** `{{{x}}}` prints unescaped HTML: only the generated SVG (`…Svg`) may. */
function checkRawOutputs(program: hbs.AST.Program | undefined, file: string): void {
  for (const node of program?.body ?? []) {
    if (node.type === 'MustacheStatement') {
      const m = node as hbs.AST.MustacheStatement;
      const name = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).original : '';
      if (!m.escaped && !name.endsWith('Svg')) throw new Error(`line ${m.loc.start.line}: "{{{${name || '…'}}}}" would print unescaped HTML; use {{${name || '…'}}}`);
    } else if (node.type === 'BlockStatement') {
      const block = node as hbs.AST.BlockStatement;
      checkRawOutputs(block.program, file);
      checkRawOutputs(block.inverse, file);
    }
  }
}

const dash = (s: string | undefined) => (s ? s : '—');
const list = (items: readonly string[]) => (items.length ? items.join(', ') : '—');

/** What the templates print: every value a preformatted string (times in UTC). */
export function packetView(data: PacketData) {
  const charts = data.charts;
  const band = { from: Date.parse(data.detectedAt), to: data.resolvedAt ? Date.parse(data.resolvedAt) : charts.to };
  const markers = data.milestones
    .filter((m) => m.at && m.label !== 'Detected' && m.label !== 'Resolved')
    .map((m) => ({ at: Date.parse(m.at!), label: m.label.toLowerCase() }));
  const chartOf = (points: Parameters<typeof renderChartSvg>[0], metric: (typeof METRICS)[number]) =>
    renderChartSvg(points, {
      from: charts.from,
      to: charts.to,
      bucketMs: charts.bucketMs,
      ...(charts.raw ? { raw: charts.raw } : {}),
      title: metric.unit ? `${metric.label} (${metric.unit})` : `${metric.label} (0–100)`,
      ...(metric.name === 'score' ? { yMax: 100 } : {}),
      band,
      markers,
    });
  return {
    incidentId: data.incidentId,
    severity: data.severity,
    state: data.state,
    trigger: data.trigger,
    summary: data.summary,
    generatedAt: utcDateTime(data.generatedAt),
    mtta: duration(data.mttaSec),
    mttr: duration(data.mttrSec),
    routeCount: data.routeCount,
    moreRoutes: Math.max(0, data.routeCount - data.routes.length),
    customerCount: data.customerCount,
    ownerTeams: list(data.ownerTeams),
    dependencies: list(data.dependencies),
    activePath: data.activePath,
    people: list(data.people),
    milestones: data.milestones.map((m) => ({ label: m.label, at: dash(utcDateTime(m.at)), by: m.at ? who(m.by) : '' })),
    routes: data.routes.map((r) => ({ ...r, environment: dash(r.environment), ownerTeam: dash(r.ownerTeam), primaryPath: dash(r.primaryPath), dependencies: list(r.dependencies) })),
    runbooks: data.runbooks.map((r) => ({
      id: r.id,
      title: r.title,
      url: r.url && /^https?:\/\//.test(r.url) ? r.url : undefined,
      use: r.use,
      progress: r.use === 'followed' ? `${r.done}/${r.total} done` : `${r.total} items, not used`,
    })),
    timeline: data.timeline.map((e) => ({ at: utcDateTime(e.at), kind: e.kind.replace(/_/g, ' '), message: e.message, by: who(e.by) })),
    failovers: data.failovers.map((f) => ({
      startedAt: utcDateTime(f.startedAt),
      direction: f.direction,
      route: f.routeName === f.routeId ? f.routeId : `${f.routeName} (${f.routeId})`,
      path: `${f.fromPath} → ${f.toPath}`,
      executor: f.executor,
      outcome: f.ok === true ? 'ok' : f.ok === false ? 'failed' : f.status,
      outcomeClass: f.ok === true ? 'ok' : f.ok === false ? 'failed' : 'pending',
      took: f.durationSec === undefined ? '—' : duration(f.durationSec),
      detail: f.detail ?? '',
    })),
    checklists: data.runbooks
      .filter((r) => r.use === 'followed')
      .map((r) => ({
        runbookId: r.id,
        title: r.title,
        progress: `${r.done}/${r.total} done`,
        items: data.checklist.filter((c) => c.runbookId === r.id).map((c) => ({ text: c.text, done: c.done, by: who(c.doneBy), at: utcDateTime(c.doneAt) })),
      })),
    chartWindow: `${utcDateTime(new Date(charts.from).toISOString())} to ${utcDateTime(new Date(charts.to).toISOString())}`,
    buckets: describeBuckets(charts),
    chartCount: charts.routes.length,
    moreChartRoutes: data.routeCount > charts.routes.length,
    charts: charts.routes.map((r) => ({
      id: r.routeId,
      name: charts.routeNames[r.routeId] ?? r.routeId,
      samples: r.samples,
      latencySvg: chartOf(r.latency, METRICS[0]!),
      lossSvg: chartOf(r.loss, METRICS[1]!),
      scoreSvg: chartOf(r.score, METRICS[2]!),
    })),
  };
}
