import type { SeriesPoint } from './chart-series';
import { describeBuckets, duration, escapeMarkdown as md, utcDateTime, who } from './format';
import type { PacketData } from './packet-data';

/**
 * The packet as Markdown: the same facts as the PDF (title block, milestones with who,
 * timeline with who, fail-over runs, checklist with who did what, MTTA/MTTR, runbooks) and
 * a numeric summary instead of the charts. Every value is Markdown-escaped.
 */
export function renderPacketMarkdown(data: PacketData): string {
  const out: string[] = [];
  const row = (cells: string[]) => out.push(`| ${cells.join(' | ')} |`);
  const table = (head: string[], rows: string[][]) => {
    row(head);
    row(head.map(() => '---'));
    rows.forEach(row);
    out.push('');
  };
  const list = (items: readonly string[]) => (items.length ? items.map(md).join(', ') : '—');

  out.push(`# Incident ${md(data.incidentId)}`, '');
  out.push(`**Severity:** ${md(data.severity)} · **State:** ${md(data.state)}${data.trigger ? ` · **Trigger:** ${md(data.trigger)}` : ''}`, '');
  if (data.summary) out.push(`> ${md(data.summary)}`, '');
  table(
    ['Fact', 'Value'],
    [
      ['MTTA', duration(data.mttaSec)],
      ['MTTR', duration(data.mttrSec)],
      ['Routes', String(data.routeCount)],
      ['Customers affected', String(data.customerCount)],
      ['Owner teams', list(data.ownerTeams)],
      ['Dependencies', list(data.dependencies)],
      ...(data.activePath ? [['Active path', md(data.activePath)]] : []),
      ['People who acted', list(data.people)],
    ],
  );

  out.push('## Milestones', '');
  table(
    ['Milestone', 'When (UTC)', 'Who'],
    data.milestones.map((m) => [m.label, m.at ? utcDateTime(m.at) : '—', m.at ? md(who(m.by)) : '']),
  );

  out.push('## Affected routes', '');
  for (const r of data.routes) {
    const facts = [r.environment, r.ownerTeam && `owner ${r.ownerTeam}`, r.primaryPath && `primary path ${r.primaryPath}`, r.dependencies.length ? `depends on ${r.dependencies.join(', ')}` : '']
      .filter(Boolean)
      .map((f) => md(f!));
    out.push(`- **${md(r.name)}** (${md(r.id)})${facts.length ? `: ${facts.join('; ')}` : ''}`);
  }
  if (data.routeCount > data.routes.length) out.push(`- … and ${data.routeCount - data.routes.length} more routes`);
  out.push('');

  out.push('## Runbooks', '');
  if (data.runbooks.length === 0) out.push('No runbook matched this incident.');
  for (const r of data.runbooks) {
    const title = r.url && /^https?:\/\//.test(r.url) ? `[${md(r.title)}](<${r.url.replace(/[<>\s]/g, encodeURIComponent)}>)` : md(r.title);
    out.push(`- ${title} (${md(r.id)}): ${r.use === 'followed' ? `followed, ${r.done}/${r.total} checklist items done` : `matched, ${r.total} items, not used`}`);
  }
  out.push('');

  out.push('## Timeline', '');
  if (data.timeline.length === 0) out.push('No timeline events were recorded.', '');
  else table(['When (UTC)', 'Event', 'What happened', 'Who'], data.timeline.map((e) => [utcDateTime(e.at), md(e.kind), md(e.message), md(who(e.by))]));

  out.push('## Fail-over and fail-back', '');
  if (data.failovers.length === 0) out.push('No fail-over was run.', '');
  else
    table(
      ['Started (UTC)', 'Direction', 'Route', 'Path', 'Executor', 'Outcome', 'Took', 'Detail'],
      data.failovers.map((f) => [
        utcDateTime(f.startedAt),
        f.direction,
        md(f.routeName === f.routeId ? f.routeId : `${f.routeName} (${f.routeId})`),
        `${md(f.fromPath)} → ${md(f.toPath)}`,
        md(f.executor),
        f.ok === true ? 'ok' : f.ok === false ? 'failed' : md(f.status),
        f.durationSec === undefined ? '—' : duration(f.durationSec),
        md(f.detail ?? ''),
      ]),
    );

  out.push('## Checklist', '');
  const followed = data.runbooks.filter((r) => r.use === 'followed');
  if (followed.length === 0) out.push('No checklist was used.', '');
  for (const r of followed) {
    out.push(`### ${md(r.title)} (${md(r.id)}: ${r.done}/${r.total} done)`, '');
    for (const c of data.checklist.filter((item) => item.runbookId === r.id)) {
      const byWhom = c.done && (c.doneBy || c.doneAt) ? `: done by ${md(who(c.doneBy) || 'unknown')}${c.doneAt ? ` at ${utcDateTime(c.doneAt)}` : ''}` : '';
      out.push(`- [${c.done ? 'x' : ' '}] ${md(c.text)}${byWhom}`);
    }
    out.push('');
  }

  const charts = data.charts;
  out.push('## Route health around the incident', '');
  out.push(`${utcDateTime(new Date(charts.from).toISOString())} to ${utcDateTime(new Date(charts.to).toISOString())}, buckets of ${describeBuckets(charts)}.`, '');
  table(
    ['Route', 'Measurements', 'Latency ms (min / mean / max)', 'Loss % (mean / max)', 'Score (min / mean)'],
    charts.routes.map((r) => [md(charts.routeNames[r.routeId] ?? r.routeId), String(r.samples), stats(r.latency, 'mma'), stats(r.loss, 'am'), stats(r.score, 'ma')]),
  );
  out.push(`_Generated ${utcDateTime(data.generatedAt)} by StateTrace. All times UTC._`, '');
  return out.join('\n');
}

/** min / mean / max over the buckets (the mean weighted by each bucket's samples). */
function stats(points: readonly SeriesPoint[], which: 'mma' | 'am' | 'ma'): string {
  if (points.length === 0) return '—';
  const n = points.reduce((s, p) => s + p.n, 0);
  const mean = points.reduce((s, p) => s + p.avg * p.n, 0) / n;
  const min = Math.min(...points.map((p) => p.min));
  const max = Math.max(...points.map((p) => p.max));
  const f = (x: number) => String(Math.round(x * 10) / 10);
  return which === 'mma' ? `${f(min)} / ${f(mean)} / ${f(max)}` : which === 'am' ? `${f(mean)} / ${f(max)}` : `${f(min)} / ${f(mean)}`;
}
