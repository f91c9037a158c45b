import { routeRecordDoc } from '../../fixtures/route-records';
import { createCommandCore, type CommandCore, type CommandReply, type CoreDeps } from '../../../bot/core/command-core';
import { parseCommand } from '../../../bot/core/parse-command';
import { createLogger } from '../../../src/logger';
import { models } from '../../../src/models';
import { loadRunbooks } from '../../../src/runbooks/load-runbooks';
import { snapshotDatabase, useTestDatabase } from '../../support/database';
import { ALICE, runText, VIVIAN } from './core-harness';
import type { GeneratePacketResult } from '../../../activities/packets';

/**
 * The command core's read-only commands over seeded routes, health snapshots, teams and an
 * incident, and a fuzz run of random text through the parser and the core as a viewer. No
 * Temporal here: the core's workflow client throws if anything tries to reach an outage.
 */
useTestDatabase('command_core_reads');
let core: CommandCore;
/** The same core in a deployment with STATETRACE_WORKFLOW_ID_PREFIX=site-a. */
let siteACore: CommandCore;
let temporalCalls = 0;
const packetRuns: { workflowId: string; taskQueue: string }[] = [];
/** What the packet activity says of reuse, for the next `packet` request. */
let packetReuse: Partial<GeneratePacketResult> = {};

const NOW = Date.now();
const ago = (min: number) => new Date(NOW - min * 60_000);
const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const INCIDENT = 'inc-20261125-r1-seed';
const LAST_HEALTHY = ago(65);
const route = (id: string, over: Record<string, unknown>) => routeRecordDoc(id, over);
const snapshot = (routeId: string, minutesAgo: number, status: 'up' | 'degraded' | 'down', over: Record<string, unknown> = {}) => ({
  routeId,
  at: ago(minutesAgo),
  status,
  score: { up: 100, degraded: 60, down: 0 }[status],
  confidence: 1,
  ...(status === 'down' ? { lossPct: 100 } : { latencyMs: status === 'up' ? 10 : 40, lossPct: status === 'up' ? 0 : 5 }),
  ...over,
});

beforeAll(async () => {
  const deps: CoreDeps = {
    models,
    workflows: {
      getHandle: () => {
        temporalCalls += 1;
        throw new Error('a read-only command reached Temporal');
      },
      // Only `packet` starts a workflow (printing happens on a worker): recorded, answered as one would.
      start: ((_type: string, opts: { workflowId: string; taskQueue: string; args: [{ incidentId: string }] }) => {
        packetRuns.push({ workflowId: opts.workflowId, taskQueue: opts.taskQueue });
        return Promise.resolve({ result: () => Promise.resolve({ incidentId: opts.args[0].incidentId, pdfKb: 120, pages: 3, uploadedTo: 'G0INC', ...packetReuse }) });
      }) as never,
    },
    taskQueue: 'packets-q',
    runbooks: await loadRunbooks(),
    logger: createLogger('silent'),
  };
  core = createCommandCore(deps);
  siteACore = createCommandCore({ ...deps, workflowIdPrefix: 'site-a' });
  await models.RouteRecord.create([
    route('r1', { name: 'Core r1', customerIds: ['cust-globex', 'cust-acme'], runbooks: ['link-down'] }),
    route('r2', { name: 'Edge r2', environment: 'lab', primary: false, routeClass: 'edge', owner: { team: 'edge-team' } }),
    route('r3', { name: 'Backbone r3', customerIds: ['cust-initech'] }),
  ]);
  await models.RouteHealthSnapshot.create([
    // r1, last 24 h: 6 up (10 ms, 0 %), 3 degraded (40 ms, 5 %), 1 down (100 %) = 60 / 30 / 10 %.
    ...[60, 120, 180, 240, 300, 360].map((m) => snapshot('r1', m, 'up')),
    ...[400, 500, 600].map((m) => snapshot('r1', m, 'degraded')),
    snapshot('r1', 10 / 60, 'down', { taxonomy: ['link_down'], lastHealthyAt: LAST_HEALTHY, sources: [{ kind: 'icmp', status: 'down', detail: 'no reply' }] }),
    // Outside the 24 h range: must not count.
    snapshot('r1', 30 * 60, 'down'),
    // r2's latest (15 s ago) is up; the one before it was down.
    snapshot('r2', 15 / 60, 'up'),
    snapshot('r2', 20 / 60, 'down'),
  ]);
  await models.Team.create([
    { _id: 'net', name: 'Net', contact: 'net@example.com', oncall: { slack: ['U0NET1', 'U0NET2'], discord: [] } },
    { _id: 'edge-team', name: 'Edge', contact: 'edge@example.com' },
  ]);
  await models.Incident.create({ _id: INCIDENT, workflowId: 'outage:r1', routes: ['r1'], severity: 'critical', state: 'open', trigger: 'down', detectedAt: ago(120) });
});

afterAll(() => expect(temporalCalls).toBe(0));

const viewer = (text: string, incidentId?: string) => runText(core, text, { role: 'viewer', incidentId });

describe('read commands', () => {
  it('status <route> shows the latest measurement, last healthy time, paths and open incident', async () => {
    const reply = await viewer('status r1');
    expect(reply).toEqual({ ok: true, ephemeral: true, text: expect.any(String) });
    expect(reply.text.split('\n')).toEqual([
      '*r1* Core r1 (prod, core, owner net)',
      `down · score 0 · rtt — · loss 100.0 % · jitter — · measured ${utc(ago(10 / 60))} · last healthy ${utc(LAST_HEALTHY)}`,
      'signals: link_down',
      'paths: primary (primary, via 198.18.1.2), backup-a (backup, via 198.18.2.2)',
      `open incident: ${INCIDENT} (open)`,
    ]);
    expect((await viewer('status r3')).text).toMatch(/^\*r3\* Backbone r3 .*\nnot measured yet\n.*\nno open incident$/);
    expect(await viewer('status zz-top')).toEqual({ ok: false, ephemeral: true, text: 'there is no route zz-top; `routes zz-top` searches' });
  });

  it("status (all) counts routes by their latest measurement of the last minute", async () => {
    const reply = await viewer('status all');
    expect(reply.text.split('\n')).toEqual([
      '3 routes: 1 up, 0 degraded, 1 down, 1 not measured in the last minute',
      'unhealthy: r1 (down)',
      `open incidents: ${INCIDENT} (critical, open, 1 route(s))`,
    ]);
    expect(await viewer('status')).toEqual(reply);
  });

  it('routes <filter> matches id, name, environment, class or team, literally', async () => {
    expect((await viewer('routes core')).text).toBe('2 route(s) matching "core":\n• r1 — Core r1 (prod, core, primary, net)\n• r3 — Backbone r3 (prod, core, primary, net)');
    expect((await viewer('routes EDGE')).text).toBe('1 route(s) matching "EDGE":\n• r2 — Edge r2 (lab, edge, edge-team)');
    expect((await viewer('routes')).text).toMatch(/^3 route\(s\):\n• r1 .*\n• r2 .*\n• r3 /);
    expect((await viewer('routes .*')).text).toBe('no route matches ".*"');
  });

  it('history <route> 24h gives availability and means from the snapshots in range', async () => {
    const reply = await viewer('history r1 24h');
    expect(reply.ok).toBe(true);
    expect(reply.text.split('\n')).toEqual([
      '*r1*, last 24 h: 10 measurements · up 60.00 % · degraded 30.00 % · down 10.00 %',
      'mean rtt 20.0 ms · worst rtt 40.0 ms · mean loss 11.5 %',
      `incidents: ${INCIDENT} (critical, open)`,
    ]);
    expect((await viewer('history r1 30m')).text.split('\n')[0]).toBe('*r1*, last 0.5 h: 1 measurements · up 0.00 % · degraded 0.00 % · down 100.00 %');
    expect((await viewer('history r3 7d')).text).toBe('r3: no measurements or incidents in the last 168 h');
    expect(await viewer('history nope')).toEqual({ ok: false, ephemeral: true, text: 'there is no route nope' });
  });

  it('oncall lists each team with Slack mentions', async () => {
    expect((await viewer('oncall')).text).toBe('• Edge (edge-team): Slack nobody · Discord nobody · edge@example.com\n• Net (net): Slack <@U0NET1> <@U0NET2> · Discord nobody · net@example.com');
    expect((await viewer('oncall net')).text).toBe('• Net (net): Slack <@U0NET1> <@U0NET2> · Discord nobody · net@example.com');
    expect(await viewer('oncall nobody-team')).toMatchObject({ ok: false, text: 'there is no team nobody-team' });
  });

  it('incident <id> shows customers to responders, only their number to viewers', async () => {
    const forResponder = await runText(core, `incident ${INCIDENT}`, { role: 'responder', actor: ALICE });
    expect(forResponder).toMatchObject({ ok: true, ephemeral: true, incidentId: INCIDENT });
    expect(forResponder.text).toContain(`*${INCIDENT}* critical · open · detected ${utc(ago(120))}`);
    expect(forResponder.text).toContain('routes (1): r1 down');
    expect(forResponder.text).toContain('customers (2): cust-acme, cust-globex');
    expect(forResponder.text).toContain('not acknowledged');

    const forViewer = await viewer(`incident ${INCIDENT}`);
    expect(forViewer.text).toContain('customers: 2');
    expect(forViewer.text).not.toMatch(/cust-/);
    // In the incident's channel the id is implied; elsewhere, no id lists the open incidents.
    expect((await viewer('incident', INCIDENT)).text).toBe(forViewer.text);
    expect((await viewer('incident')).text).toBe(`• ${INCIDENT} — critical, open, r1, since ${utc(ago(120))}`);
    expect(await viewer('incident inc-unknown')).toEqual({ ok: false, ephemeral: true, text: 'there is no incident inc-unknown' });
  });

  it('packet prints the incident packet through a packet workflow on the task queue and says where it went', async () => {
    packetRuns.length = 0;
    expect(await viewer('packet', INCIDENT)).toMatchObject({ ok: true, incidentId: INCIDENT, text: `incident packet for ${INCIDENT}: 3 pages, 120 KB, shared in <#G0INC>` });
    expect(packetRuns).toEqual([{ workflowId: expect.stringMatching(new RegExp(`^packet:${INCIDENT}:packet:`)), taskQueue: 'packets-q' }]);
  });

  it('packet says when the stored packet was reused, and why', async () => {
    packetReuse = { generatedAt: '2026-12-07T10:15:00.000Z', reused: 'unchanged' };
    expect((await viewer('packet', INCIDENT)).text).toBe(`incident packet for ${INCIDENT}: 3 pages, 120 KB, printed 2026-12-07 10:15 UTC, shared in <#G0INC> — nothing has changed since, so it was not printed again`);
    packetReuse = { generatedAt: '2026-12-07T10:15:00.000Z', reused: 'limited', limitedUntil: '2026-12-07T11:02:00.000Z', perHour: 6 };
    expect((await viewer('packet', INCIDENT)).text).toBe(`incident packet for ${INCIDENT}: 3 pages, 120 KB, printed 2026-12-07 10:15 UTC, shared in <#G0INC> — not printed again: at most 6 an hour per incident; the next from 2026-12-07 11:02 UTC`);
    packetReuse = {};
  });

  it('packet in a deployment with a workflow id prefix starts its packet workflow under that prefix', async () => {
    packetRuns.length = 0;
    expect(await runText(siteACore, 'packet', { role: 'viewer', incidentId: INCIDENT })).toMatchObject({ ok: true, incidentId: INCIDENT });
    expect(packetRuns).toEqual([{ workflowId: expect.stringMatching(new RegExp(`^site-a:packet:${INCIDENT}:packet:`)), taskQueue: 'packets-q' }]);
  });
});

/** A small seeded PRNG (mulberry32), so a failing run can be repeated. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCABULARY = [
  ...['help', 'status', 'routes', 'incident', 'ack', 'failover', 'failback', 'resolve', 'maint', 'history', 'oncall', 'packet'],
  ...['all', 'r1', 'r2', 'r3', 'nope', 'core', 'net', 'edge-team', 'primary', 'backup-a', INCIDENT, 'inc-x', 'inc-20990101-zz-0000'],
  ...['2h', '90m', '1h30m', '7d', '31d', '0m', '-1h', '99999d', '59s', '366d', '24h'],
  ...['\u0000', '\ud800', '😀', '"', "'", '`', '<@U1>', '<!channel>', '*', '\\', '$where', '{"$gt":""}', '.*', '(?', '[', 'ＡＢＣ', '\u202e', '\u00a0', '\t', '\n'],
  ...['a'.repeat(70), 'r'.repeat(63), 'inc-' + 'x'.repeat(120)],
];
const MUTATING = new Set(['ack', 'failover', 'failback', 'resolve', 'maint']);

describe('fuzz', () => {
  it('600 random commands through the parser and the core as a viewer: always an answer, never a change', async () => {
    const seed = Number(process.env.STATETRACE_FUZZ_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const before = await snapshotDatabase();
    const auditsBefore = await models.AuditEntry.countDocuments();
    let ran = 0;
    let refusedChanges = 0;
    const seen = { ok: 0, notOk: 0 };
    for (let i = 0; i < 600; i++) {
      const shape = i % 10;
      const text =
        shape === 0
          ? ''
          : shape === 1
            ? pick(VOCABULARY).repeat(200 + Math.floor(random() * 400))
            : shape === 2
              ? Array.from({ length: 1 + Math.floor(random() * 30) }, () => String.fromCharCode(Math.floor(random() * 0x3000))).join('')
              : [pick(VOCABULARY.slice(0, 12)), ...Array.from({ length: Math.floor(random() * 4) }, () => pick(VOCABULARY))].join(random() < 0.9 ? ' ' : '');
      const context = `seed ${seed}, #${i}: ${JSON.stringify(text.slice(0, 200))}`;
      const parsed = parseCommand(text);
      if (!parsed.ok) {
        expect({ context, reply: typeof parsed.reply === 'string' && parsed.reply.length > 0 }).toEqual({ context, reply: true });
        continue;
      }
      ran += 1;
      let reply: CommandReply;
      try {
        reply = await core.run({ command: parsed.command, actor: VIVIAN, role: 'viewer', requestId: `fuzz-${seed}-${i}`, incidentId: random() < 0.3 ? INCIDENT : undefined });
      } catch (err) {
        throw new Error(`core.run threw (${context}): ${(err as Error).stack}`);
      }
      expect({ context, ok: typeof reply.ok, ephemeral: typeof reply.ephemeral, text: typeof reply.text === 'string' && reply.text.length > 0 }).toEqual({
        context,
        ok: 'boolean',
        ephemeral: 'boolean',
        text: true,
      });
      if (MUTATING.has(parsed.command.name)) {
        refusedChanges += 1;
        expect({ context, reply }).toEqual({ context, reply: { ok: false, ephemeral: true, text: expect.stringMatching(/^you need the responder role/) } });
      }
      if (reply.ok) seen.ok += 1;
      else seen.notOk += 1;
      expect(reply.text).not.toMatch(/failed: /); // the core's catch-all: a read that threw
    }
    expect(ran).toBeGreaterThan(150);
    expect(refusedChanges).toBeGreaterThan(20);
    expect(seen.ok).toBeGreaterThan(20);
    // Only the refusals were recorded, one each; every other collection is as it was.
    expect(await models.AuditEntry.countDocuments()).toBe(auditsBefore + refusedChanges);
    expect(await models.AuditEntry.countDocuments({ outcome: { $ne: 'refused' } })).toBe(0);
    const after = await snapshotDatabase();
    delete before.auditentries;
    delete after.auditentries;
    expect(after).toEqual(before);
    expect(temporalCalls).toBe(0);
  }, 120_000);
});
