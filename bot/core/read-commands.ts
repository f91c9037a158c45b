/** The commands that only read: status, routes, incident, history, on-call, packet, help. */
import type { RouteHealthSnapshotDoc } from '../../src/models/route-health-snapshot';
import { historyResolution, loadRollupHistory, rollupHistoryLines } from '../../src/retention/history';
import { prefixedWorkflowId } from '../../src/temporal/workflow-ids';
import type { packetWorkflow } from '../../workflows/packet';
import type { CommandReply, CommandRequest, CoreDeps } from './command-core';
import { activeWindow, maintenanceOf } from '../../src/directory/maintenance-windows';
import { CLOSED_STATES } from '../../src/models/incident';
import { findIncident } from './find-incident';
import { loadIncidentView } from './load-incident-view';
import { helpText, type Command } from './parse-command';
import { mayViewCustomers } from './roles';

const LIST_LIMIT = 25;
/** How long `packet` waits for the printed packet before answering that it is on its way. */
const PACKET_WAIT_MS = 60_000;
const STATUS_WINDOW_MS = 60_000;
const STATUS_ROW_LIMIT = 100_000;

const reply = (text: string, ok = true): CommandReply => ({ ok, text, ephemeral: true });
const utc = (d?: Date | string | null) => (d ? `${new Date(d).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '—');
const num = (v: number | null | undefined, unit: string, digits = 1) => (v === null || v === undefined ? '—' : `${v.toFixed(digits)} ${unit}`);
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function runQuery(deps: CoreDeps, request: CommandRequest): Promise<CommandReply> {
  const { command } = request;
  switch (command.name) {
    case 'help':
      return reply(helpText(command.topic));
    case 'status':
      return command.route ? routeStatus(deps, command.route) : overallStatus(deps);
    case 'routes':
      return listRoutes(deps, command.filter);
    case 'incident':
      return command.incidentId || request.incidentId ? describeIncident(deps, request, command.incidentId ?? request.incidentId!) : listOpenIncidents(deps);
    case 'history':
      return routeHistory(deps, command);
    case 'oncall':
      return onCall(deps, command.team);
    case 'packet':
      return packet(deps, request, command.incidentId);
    default:
      return reply(`${command.name} is not a query`, false);
  }
}

async function routeStatus({ models }: CoreDeps, routeId: string): Promise<CommandReply> {
  const route = await models.RouteRecord.findById(routeId).lean();
  if (!route) return reply(`there is no route ${routeId}; \`routes ${routeId.slice(0, 12)}\` searches`, false);
  const snap = await models.RouteHealthSnapshot.findOne({ routeId }).sort({ at: -1 }).lean();
  const open = await models.Incident.findOne({ routes: routeId, state: { $nin: CLOSED_STATES } }, { _id: 1, state: 1 }).lean();
  const lines = [
    `*${route._id}* ${route.name} (${route.environment}, ${route.routeClass}, owner ${route.owner.team})`,
    snap
      ? `${snap.status} · score ${snap.score} · rtt ${num(snap.latencyMs, 'ms')} · loss ${num(snap.lossPct, '%')} · jitter ${num(snap.jitterMs, 'ms')} · measured ${utc(snap.at)} · last healthy ${utc(snap.lastHealthyAt)}`
      : 'not measured yet',
    ...(snap?.taxonomy.length ? [`signals: ${snap.taxonomy.join(', ')}`] : []),
    `paths: ${route.paths.map((p) => `${p.id} (${p.role}, via ${p.nextHop})`).join(', ')}`,
    open ? `open incident: ${open._id} (${open.state})` : 'no open incident',
  ];
  const maint = activeWindow(await maintenanceOf(models, route), new Date());
  if (maint) lines.push(`in maintenance until ${utc(maint.end)}: ${maint.reason}`);
  return reply(lines.join('\n'));
}

async function overallStatus({ models }: CoreDeps): Promise<CommandReply> {
  const total = await models.RouteRecord.countDocuments();
  // Each route's latest status from the last minute's snapshots, newest first (FerretDB 1.x's
  // $group has no $first or $max, so the reduction happens here).
  const rows = await models.RouteHealthSnapshot.find({ at: { $gte: new Date(Date.now() - STATUS_WINDOW_MS) } }, { routeId: 1, status: 1, _id: 0 })
    .sort({ at: -1 })
    .limit(STATUS_ROW_LIMIT)
    .lean();
  const latest = new Map<string, RouteHealthSnapshotDoc['status']>();
  for (const r of rows) if (!latest.has(r.routeId)) latest.set(r.routeId, r.status);
  const recent = [...latest].map(([id, status]) => ({ _id: id, status }));
  const counts = { up: 0, degraded: 0, down: 0, unknown: total - recent.length };
  for (const r of recent) counts[r.status] += 1;
  const unhealthy = recent.filter((r) => r.status === 'down' || r.status === 'degraded').map((r) => `${r._id} (${r.status})`);
  const open = await models.Incident.find({ state: { $nin: CLOSED_STATES } }, { _id: 1, severity: 1, state: 1, routes: 1 }).sort({ detectedAt: -1 }).limit(10).lean();
  const lines = [
    `${total} routes: ${counts.up} up, ${counts.degraded} degraded, ${counts.down} down, ${counts.unknown} not measured in the last minute`,
    ...(unhealthy.length ? [`unhealthy: ${unhealthy.slice(0, LIST_LIMIT).join(', ')}${unhealthy.length > LIST_LIMIT ? ', …' : ''}`] : []),
    open.length ? `open incidents: ${open.map((i) => `${i._id} (${i.severity}, ${i.state}, ${i.routes.length} route(s))`).join('; ')}` : 'no open incidents',
  ];
  return reply(lines.join('\n'));
}

async function listRoutes({ models }: CoreDeps, filter?: string): Promise<CommandReply> {
  const pattern = filter ? new RegExp(escapeRegex(filter), 'i') : undefined;
  const query = pattern ? { $or: [{ _id: pattern }, { name: pattern }, { environment: pattern }, { routeClass: pattern }, { 'owner.team': pattern }] } : {};
  const [count, routes] = await Promise.all([
    models.RouteRecord.countDocuments(query),
    models.RouteRecord.find(query, { name: 1, environment: 1, routeClass: 1, owner: 1, primary: 1 }).sort({ _id: 1 }).limit(LIST_LIMIT).lean(),
  ]);
  if (count === 0) return reply(filter ? `no route matches "${filter}"` : 'no routes are loaded yet (STATETRACE_ROUTES_FILE)');
  const lines = routes.map((r) => `• ${r._id} — ${r.name} (${r.environment}, ${r.routeClass}${r.primary ? ', primary' : ''}, ${r.owner.team})`);
  if (count > routes.length) lines.push(`…and ${count - routes.length} more; narrow it with \`routes <filter>\``);
  return reply(`${count} route(s)${filter ? ` matching "${filter}"` : ''}:\n${lines.join('\n')}`);
}

async function listOpenIncidents({ models }: CoreDeps): Promise<CommandReply> {
  const open = await models.Incident.find({ state: { $nin: CLOSED_STATES } }).sort({ detectedAt: -1 }).limit(LIST_LIMIT).lean();
  if (open.length === 0) return reply('no open incidents');
  return reply(open.map((i) => `• ${i._id} — ${i.severity}, ${i.state}, ${i.routes.slice(0, 3).join(', ')}${i.routes.length > 3 ? ` +${i.routes.length - 3}` : ''}, since ${utc(i.detectedAt)}`).join('\n'));
}

async function describeIncident(deps: CoreDeps, request: CommandRequest, incidentId: string): Promise<CommandReply> {
  const view = await loadIncidentView(deps, incidentId, { customers: mayViewCustomers(request.role) });
  if (!view) return reply(`there is no incident ${incidentId}`, false);
  const events = await deps.models.TimelineEvent.find({ incidentId }).sort({ at: -1 }).limit(5).lean();
  const lines = [
    `*${view.incidentId}* ${view.severity} · ${view.state} · detected ${utc(view.detectedAt)}`,
    `routes (${view.routeCount}): ${view.routes.map((r) => `${r.id} ${r.health}${r.activePath && r.activePath !== r.primaryPath ? ` on ${r.activePath}` : ''}`).join(', ')}${view.routeCount > view.routes.length ? ', …' : ''}`,
    ...(view.dependencies.length ? [`dependencies: ${view.dependencies.join(', ')}`] : []),
    view.customers ? `customers (${view.customerCount}): ${view.customers.slice(0, 50).join(', ') || '—'}` : `customers: ${view.customerCount}`,
    view.acknowledgedBy ? `acknowledged by ${view.acknowledgedBy} at ${utc(view.acknowledgedAt)}` : 'not acknowledged',
    ...(view.summary ? [`summary: ${view.summary}`] : []),
    ...(events.length ? ['latest:', ...events.reverse().map((e) => `  ${utc(e.at)} ${e.message}`)] : []),
  ];
  return { ...reply(lines.join('\n')), incidentId };
}

async function routeHistory({ models }: CoreDeps, command: Extract<Command, { name: 'history' }>): Promise<CommandReply> {
  const route = await models.RouteRecord.findById(command.route, { _id: 1 }).lean();
  if (!route) return reply(`there is no route ${command.route}`, false);
  const now = new Date();
  const since = new Date(now.getTime() - command.rangeSec * 1000);
  const range = `${(command.rangeSec / 3600).toFixed(command.rangeSec % 3600 ? 1 : 0)} h`;
  const incidentsLine = async () => {
    const incidents = await models.Incident.find({ routes: command.route, detectedAt: { $gte: since } }, { _id: 1, severity: 1, state: 1, detectedAt: 1, mttrSec: 1 }).sort({ detectedAt: -1 }).limit(10).lean();
    const text = incidents.length
      ? `incidents: ${incidents.map((i) => `${i._id} (${i.severity}, ${i.state}${i.mttrSec !== undefined && i.mttrSec !== null ? `, resolved in ${Math.round(i.mttrSec / 60)} min` : ''})`).join('; ')}`
      : 'no incidents';
    return { count: incidents.length, text };
  };
  // Over 48 h: hourly rollups (daily over 60 days), unless the roll-up job has none recent.
  const resolution = historyResolution(command.rangeSec);
  const rolled = resolution === 'raw' ? undefined : await loadRollupHistory({ models, routeId: command.route, since, now, resolution });
  if (rolled) {
    const incidents = await incidentsLine();
    if (rolled.totals.samples === 0 && incidents.count === 0) return reply(`${command.route}: no measurements or incidents in the last ${range}`);
    return reply([...rollupHistoryLines(command.route, range, rolled), incidents.text].join('\n'));
  }
  // $sum only (FerretDB 1.x's $group has no $avg, $max or $first), and one accumulator per
  // $group: FerretDB 1.x computes only a group's first accumulator and answers 0 for the rest.
  const sumByStatus = async (value: 1 | '$latencyMs' | '$lossPct') => {
    const rows = await models.RouteHealthSnapshot.aggregate<{ _id: string; sum: number }>([
      { $match: { routeId: command.route, at: { $gte: since } } },
      { $group: { _id: '$status', sum: { $sum: value } } },
    ]);
    return new Map(rows.map((r) => [r._id, r.sum]));
  };
  const [counts, latencies, losses] = await Promise.all([sumByStatus(1), sumByStatus('$latencyMs'), sumByStatus('$lossPct')]);
  const groups = [...counts].map(([status, n]) => ({ _id: status, n, latency: latencies.get(status) ?? 0, loss: losses.get(status) ?? 0 }));
  const worst = await models.RouteHealthSnapshot.findOne({ routeId: command.route, at: { $gte: since }, latencyMs: { $exists: true } }, { latencyMs: 1 }).sort({ latencyMs: -1 }).lean();
  const incidents = await incidentsLine();
  const n = groups.reduce((s, g) => s + g.n, 0);
  if (n === 0 && incidents.count === 0) return reply(`${command.route}: no measurements or incidents in the last ${range}`);
  const by = (status: string) => groups.find((g) => g._id === status);
  const measured = ['up', 'degraded'].map(by).filter((g) => g !== undefined);
  const measuredN = measured.reduce((s, g) => s + g.n, 0);
  const lines = [
    `*${command.route}*, last ${range}${resolution === 'raw' ? '' : ' (raw snapshots: no rollups yet)'}: ${n} measurements · up ${pct(by('up')?.n, n)} · degraded ${pct(by('degraded')?.n, n)} · down ${pct(by('down')?.n, n)}`,
    `mean rtt ${num(measuredN ? measured.reduce((s, g) => s + g.latency, 0) / measuredN : undefined, 'ms')} · worst rtt ${num(worst?.latencyMs, 'ms')} · mean loss ${num(n ? groups.reduce((s, g) => s + g.loss, 0) / n : undefined, '%')}`,
    incidents.text,
  ];
  return reply(lines.join('\n'));
}

const pct = (part: number | undefined, whole: number) => (whole ? `${(((part ?? 0) / whole) * 100).toFixed(2)} %` : '—');

async function onCall({ models }: CoreDeps, teamId?: string): Promise<CommandReply> {
  const teams = await models.Team.find(teamId ? { _id: teamId } : {}).sort({ _id: 1 }).limit(LIST_LIMIT).lean();
  if (teams.length === 0) return reply(teamId ? `there is no team ${teamId}` : 'no teams are configured', false);
  const mention = (ids: string[]) => (ids.length ? ids.map((id) => `<@${id}>`).join(' ') : 'nobody');
  return reply(teams.map((t) => `• ${t.name} (${t._id}): Slack ${mention(t.oncall.slack)} · Discord ${mention(t.oncall.discord)} · ${t.contact}`).join('\n'));
}

async function packet(deps: CoreDeps, request: CommandRequest, incidentId?: string): Promise<CommandReply> {
  const ref = await findIncident(deps.models, { incidentId, channelIncidentId: request.incidentId });
  if (!ref.ok) return reply(ref.reply, false);
  // Printed on a worker (where Chromium is), through a short workflow; the reply waits a
  // while for it, and otherwise says it is on its way (the activity shares it when done).
  const key = `${ref.incidentId}:packet:${request.requestId}`;
  const handle = await deps.workflows.start<typeof packetWorkflow>('packetWorkflow', {
    taskQueue: deps.taskQueue,
    workflowId: prefixedWorkflowId(deps.workflowIdPrefix ?? '', `packet:${key}`),
    args: [{ incidentId: ref.incidentId, idempotencyKey: key, onDemand: true }],
    workflowExecutionTimeout: '15 minutes',
  });
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), deps.packetWaitMs ?? PACKET_WAIT_MS)));
  const result = await Promise.race([handle.result(), waited]).finally(() => clearTimeout(timer));
  if (!result) return { ...reply(`printing the incident packet for ${ref.incidentId}; it is shared in the incident channel when it is ready`), incidentId: ref.incidentId };
  const where = result.uploadedTo ? `shared in <#${result.uploadedTo}>` : 'stored with the incident';
  const printed = result.generatedAt ? ` printed ${utc(result.generatedAt)},` : '';
  const why =
    result.reused === 'unchanged'
      ? ' — nothing has changed since, so it was not printed again'
      : result.reused === 'limited'
        ? ` — not printed again: at most ${result.perHour} an hour per incident; the next from ${utc(result.limitedUntil)}`
        : '';
  return { ...reply(`incident packet for ${ref.incidentId}: ${result.pages ?? '?'} pages, ${result.pdfKb} KB,${printed} ${where}${why}`), incidentId: ref.incidentId };
}
