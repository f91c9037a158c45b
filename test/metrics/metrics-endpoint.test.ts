import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { importRouteFile } from '../../src/directory/import-routes';
import { buildHttpServer } from '../../src/http/server';
import { createLogger } from '../../src/logger';
import { incidentsOpened, notifications } from '../../src/metrics/instruments';
import { registerMetricsEndpoint } from '../../src/metrics/metrics-endpoint';
import { startMetricsListener } from '../../src/metrics/metrics-listener';
import { registry } from '../../src/metrics/registry';
import { createRouteMetrics } from '../../src/metrics/route-metrics';
import { models } from '../../src/models';
import { StatusBoardWriter, type RouteStatusEntry } from '../../src/status/status-board';
import { useTestDatabase } from '../support/database';
import { until } from '../support/until';
import { VALID_ROUTE_FILE, writeTempFile } from '../fixtures/route-files';
import { promtoolCheck, sampleNames, samples } from './scrape-text';

useTestDatabase('metrics_endpoint');
const logger = createLogger('silent');

const BOARD: RouteStatusEntry[] = [
  { routeId: 'r1', at: '2026-11-25T10:00:00.000Z', status: 'up', score: 97.5, latencyMs: 12.5, lossPct: 0, jitterMs: 0.8, taxonomy: [] },
  { routeId: 'r2', at: '2026-11-25T10:00:02.000Z', status: 'down', score: 0, lossPct: 100, taxonomy: ['link_down'] },
  // Not in the directory, and a label value that needs escaping.
  { routeId: 'edge.fra "1"\\b', at: '2026-11-25T10:00:04.000Z', status: 'degraded', score: 61, latencyMs: 180, lossPct: 4, jitterMs: 22, taxonomy: ['latency'] },
];

async function metricsServer(token?: string) {
  const app = await buildHttpServer({ logger, checks: {} });
  registerMetricsEndpoint(app, { registry, models, token });
  return app;
}

async function scrape(headers: Record<string, string> = {}): Promise<string> {
  const res = await (await metricsServer()).inject({ method: 'GET', url: '/metrics', headers });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe(registry.contentType);
  return res.body;
}

beforeAll(async () => {
  await importRouteFile(writeTempFile(VALID_ROUTE_FILE), { models, maxBytes: 1 << 20, actor: { platform: 'cli', id: 't' }, logger });
  const board = new StatusBoardWriter(models, 0, logger);
  for (const entry of BOARD) board.set(entry);
  await board.flush();
  incidentsOpened.inc({ severity: 'critical' });
  notifications.inc({ channel: 'slack', result: 'failed' });
});

describe('GET /metrics', () => {
  it('passes promtool check metrics without a problem', async () => {
    expect(promtoolCheck(await scrape())).toEqual({ status: 0, output: '' });
  });

  it('has one series per route and gauge, matching the status board, and fleet counts by status', async () => {
    const s = samples(await scrape());
    expect(s.get('statetrace_route_up{route="r1"}')).toBe(1);
    expect(s.get('statetrace_route_up{route="r2"}')).toBe(0);
    expect(s.get('statetrace_route_health_score{route="r1"}')).toBe(97.5);
    expect(s.get('statetrace_route_latency_seconds{route="r1"}')).toBeCloseTo(0.0125);
    expect(s.get('statetrace_route_jitter_seconds{route="r1"}')).toBeCloseTo(0.0008);
    expect(s.get('statetrace_route_loss_ratio{route="r2"}')).toBe(1);
    expect(s.get('statetrace_route_last_measured_timestamp_seconds{route="r2"}')).toBe(Date.parse('2026-11-25T10:00:02.000Z') / 1000);
    // Nothing measured, no sample.
    expect(s.has('statetrace_route_latency_seconds{route="r2"}')).toBe(false);
    expect(s.get('statetrace_route_loss_ratio{route="edge.fra \\"1\\"\\\\b"}')).toBeCloseTo(0.04);
    expect(Object.fromEntries(['up', 'degraded', 'down', 'unknown'].map((st) => [st, s.get(`statetrace_route_status{status="${st}"}`)]))).toEqual({ up: 1, degraded: 1, down: 1, unknown: 0 });
    const perRoute = [...s.keys()].filter((k) => k.startsWith('statetrace_route_') && k.includes('route="'));
    expect(perRoute.every((k) => /^statetrace_route_\w+\{route="[^,]*"\}$/.test(k) || k.startsWith('statetrace_route_info{'))).toBe(true);
  });

  it('joins names, teams and environments through statetrace_route_info from the route directory', async () => {
    const s = samples(await scrape());
    expect(s.get('statetrace_route_info{route="r1",name="Route one",team="core-net",environment="lab"}')).toBe(1);
    expect(s.get('statetrace_route_info{route="r2",name="Route two",team="core-net",environment="lab"}')).toBe(1);
  });

  it('serves the counters and histograms of this process, every label combination from zero, and process metrics', async () => {
    const s = samples(await scrape());
    expect(s.get('statetrace_incidents_opened_total{severity="critical"}')).toBeGreaterThanOrEqual(1);
    expect(s.get('statetrace_incidents_opened_total{severity="info"}')).toBe(0);
    expect(s.get('statetrace_notifications_total{channel="slack",result="failed"}')).toBeGreaterThanOrEqual(1);
    expect(s.get('statetrace_failovers_total{direction="failback",outcome="succeeded"}')).toBe(0);
    expect(s.get('statetrace_probe_duration_seconds_count{kind="snmp"}')).toBe(0);
    expect(s.get('statetrace_time_to_resolve_seconds_bucket{le="+Inf",severity="major"}')).toBe(0);
    expect(s.has('process_cpu_seconds_total')).toBe(true);
  });

  it('asks for the bearer token when one is configured', async () => {
    const app = await metricsServer('scrape-secret');
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer scrape-secret' } })).statusCode).toBe(200);
  });
});

describe('status board reads', () => {
  it('are refreshed in the background while scrapes come, so a scrape does not wait for the board', async () => {
    const routeMetrics = createRouteMetrics(models, { refreshMs: 50 });
    try {
      const r1Up = async () => samples(await routeMetrics.text()).get('statetrace_route_up{route="r1"}');
      expect(await r1Up()).toBe(1);
      const board = new StatusBoardWriter(models, 0, logger);
      board.set({ ...BOARD[0]!, status: 'down', score: 0 });
      await board.flush();
      await until('r1 down in a scrape', async () => (await r1Up()) === 0, 5000, { everyMs: 20 });
    } finally {
      routeMetrics.close();
      const board = new StatusBoardWriter(models, 0, logger);
      board.set(BOARD[0]!);
      await board.flush();
    }
  });
});

describe('metrics-only listener (processes without the API)', () => {
  it("serves this process's metrics over HTTP, without the per-route families, and nothing else", async () => {
    const listener = await startMetricsListener({ host: '127.0.0.1', port: 0, registry, token: 'scrape-secret', logger });
    try {
      const url = `http://127.0.0.1:${listener.port}`;
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      const res = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
      expect(sampleNames(text).has('statetrace_incidents_opened_total')).toBe(true);
      expect(sampleNames(text).has('statetrace_route_up')).toBe(false);
      expect((await fetch(`${url}/healthz`)).status).toBe(404);
    } finally {
      await listener.close();
    }
  });
});

describe('docs/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, '../../docs/grafana-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
    templating: { list: { name: string; query: string | { query: string } }[] };
  };
  const queries = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.map((v) => (typeof v.query === 'string' ? v.query : v.query.query)),
  ];

  it('queries only metrics that a scrape has', async () => {
    const names = sampleNames(await scrape());
    const used = new Set(queries.flatMap((q) => q.match(/\b(?:statetrace|process|nodejs)_\w+/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !names.has(name))).toEqual([]);
  });

  it('picks routes (by team) from statetrace_route_info and has a query in every graph panel', () => {
    expect(queries).toEqual(expect.arrayContaining(['label_values(statetrace_route_info, team)', 'label_values(statetrace_route_info{team=~"$team"}, route)']));
    for (const panel of dashboard.panels.filter((p) => p.targets)) expect(panel.targets!.length).toBeGreaterThan(0);
  });
});

describe('docs/prometheus.yml', () => {
  it('is a valid Prometheus configuration', () => {
    const res = spawnSync('promtool', ['check', 'config', path.join(__dirname, '../../docs/prometheus.yml')], { encoding: 'utf8' });
    expect(res.status).toBe(0);
  });
});
