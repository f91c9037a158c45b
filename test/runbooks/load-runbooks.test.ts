import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { readRouteFile } from '../../src/directory/parse-route-file';
import { FAILURE_TAXONOMY } from '../../src/models/route-health-snapshot';
import { createRunbookLibrary, loadRunbooks, RUNBOOK_EVENTS, RUNBOOK_MATCHES, RunbookError, runbookUrl, type Runbook } from '../../src/runbooks/load-runbooks';

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Writes files into a new temporary runbook folder and returns it. */
function runbookDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-runbooks-'));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const GOOD = (id: string, matches = '[link_down]') => `---
id: ${id}
title: Good runbook
matches: ${matches}
severity: major
checklist:
  - { id: first-step, text: Do the first thing }
---
# Steps
Do things.
`;

async function loadError(dir: string): Promise<RunbookError> {
  const err: unknown = await loadRunbooks(dir).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RunbookError);
  return err as RunbookError;
}

describe('the runbooks in runbooks/', () => {
  it('load, and each has a real checklist and vendor diagnostics', async () => {
    const library = await loadRunbooks();
    expect(library.all().map((r) => r.id)).toEqual(expect.arrayContaining(['high-loss', 'link-down']));
    for (const runbook of library.all()) {
      expect(path.basename(runbook.file)).toBe(`${runbook.id}.md`);
      expect(runbook.checklist.length).toBeGreaterThanOrEqual(5);
      expect(runbook.checklist.length).toBeLessThanOrEqual(8);
      expect(new Set(runbook.checklist.map((c) => c.id)).size).toBe(runbook.checklist.length);
      expect(Object.keys(runbook.diagnostics).sort()).toEqual(['eos', 'ios-xe', 'junos']);
      for (const kind of runbook.matches) expect(RUNBOOK_MATCHES).toContain(kind);
      expect(runbook.body).toMatch(/^# /);
    }
    const linkDown = library.get('link-down')!;
    expect(linkDown).toMatchObject({ title: "Link down on a route's path", matches: ['link_down'], severity: 'critical' });
    expect(linkDown.checklist.map((c) => c.id)).toEqual(expect.arrayContaining(['check-interface', 'check-optics', 'check-peer', 'decide-failover', 'escalate-carrier']));
    expect(linkDown.diagnostics['ios-xe']).toContain('show interfaces <if>');
    expect(linkDown.diagnostics['ios-xe']).toContain('show logging | include <if>');
    expect(linkDown.diagnostics.junos).toContain('show interfaces <if> extensive');
    expect(linkDown.diagnostics.eos).toContain('show interfaces <if> counters errors');
    expect(library.get('high-loss')).toMatchObject({ matches: ['high_loss'], severity: 'major' });
    expect(library.get('bgp-down')).toMatchObject({ matches: ['bgp_down'], severity: 'critical' });
    expect(library.get('bgp-down')!.diagnostics.junos).toContain('show bgp neighbor <peer>');
    expect(library.get('flapping')).toMatchObject({ matches: ['flapping'] });
    expect(library.get('failover-failed')).toMatchObject({ matches: ['failover_failed'], severity: 'critical' });
    expect(library.get('maintenance-overlap')).toMatchObject({ matches: ['maintenance'], severity: 'info' });
  });

  it('cover every runbook id the example route file names', async () => {
    const library = await loadRunbooks();
    const { routeFile } = readRouteFile(path.join(PROJECT_ROOT, 'config', 'routes.example.yaml'), 1 << 20);
    const named = routeFile.routes.flatMap((r) => r.runbooks);
    expect(named.length).toBeGreaterThan(0);
    for (const id of named) expect(library.get(id)?.id).toBe(id);
  });
});

describe('loadRunbooks errors', () => {
  it('lists every problem in one error, naming the file, line and field', async () => {
    const dir = runbookDir({
      'README.md': 'not a runbook, ignored',
      'bad.md': `---
id: bad
title: Bad runbook
matches: [link_flap]
severity: urgent
checklist:
  - { id: check-it, text: One }
  - { id: check-it, text: Two }
  - { id: Not_Kebab, text: Three }
diagnostics:
  nxos: [show interface]
owner: someone
---
Body.
`,
      'renamed.md': GOOD('other-name'),
      'no-front-matter.md': '# Just markdown\n',
      'good.md': GOOD('good'),
    });
    const err = await loadError(dir);
    const bad = path.join(dir, 'bad.md');
    expect(err.message).toContain(`${bad}:4:11: matches[0]: must be one of link_down, bgp_down,`);
    expect(err.message).toContain(`${bad}:5:11: severity: must be one of critical, major, warning, info`);
    expect(err.message).toContain(`${bad}:8:11: checklist[1].id: duplicate checklist id "check-it"`);
    expect(err.message).toContain(`${bad}:9:11: checklist[2].id: must be lowercase-kebab`);
    expect(err.message).toContain(`${bad}:11:3: diagnostics.nxos: unknown field (vendors: ios-xe, junos, eos)`);
    expect(err.message).toContain(`${bad}:12:1: owner: unknown field`);
    expect(err.message).toContain(`${path.join(dir, 'renamed.md')}:2:5: id: "other-name" does not match the file name (expected "renamed")`);
    expect(err.message).toContain(`${path.join(dir, 'no-front-matter.md')}:1:1: must start with YAML front matter`);
    expect(err.message).not.toContain('good.md');
    expect(err.message).not.toContain('README');
    expect(err.problems).toHaveLength(8);
  });

  it('reports YAML syntax errors, missing fields and an empty body', async () => {
    const dir = runbookDir({
      'broken.md': '---\nid: broken\ntitle: [unclosed\n---\nBody\n',
      'sparse.md': '---\nid: sparse\nmatches: [high_loss]\n---\n\n',
    });
    const err = await loadError(dir);
    expect(err.message).toContain(`${path.join(dir, 'broken.md')}:3:17: YAML syntax: Flow sequence`);
    const sparse = path.join(dir, 'sparse.md');
    expect(err.message).toContain(`${sparse}:2:1: title: is required`);
    expect(err.message).toContain(`${sparse}:2:1: severity: is required`);
    expect(err.message).toContain(`${sparse}:2:1: checklist: is required`);
    expect(err.message).toContain(`${sparse}:5:1: has no steps`);
  });

  it('names a folder it cannot read', async () => {
    const missing = path.join(os.tmpdir(), 'statetrace-no-such-runbooks');
    await expect(loadRunbooks(missing)).rejects.toThrow(`${missing}: cannot read the runbook folder (ENOENT)`);
  });

  it('accepts lifecycle events in matches, alone or with failure taxonomy values', async () => {
    const library = await loadRunbooks(runbookDir({ 'noisy.md': GOOD('noisy', '[high_loss, flapping]'), 'stuck.md': GOOD('stuck', '[failover_failed, maintenance]') }));
    expect(library.get('noisy')?.matches).toEqual(['high_loss', 'flapping']);
    expect(library.get('stuck')?.matches).toEqual(['failover_failed', 'maintenance']);
  });

  it('refuses a match that is neither a failure taxonomy value nor an event, listing both', async () => {
    const dir = runbookDir({ 'odd.md': GOOD('odd', '[flapping, failover]'), 'empty.md': GOOD('empty', '[]') });
    const err = await loadError(dir);
    expect(err.message).toContain(`${path.join(dir, 'odd.md')}:4:21: matches[1]: must be one of ${[...FAILURE_TAXONOMY, ...RUNBOOK_EVENTS].join(', ')}`);
    expect(err.message).toContain(`${path.join(dir, 'empty.md')}:4:10: matches: must list at least one failure taxonomy value or event`);
    expect(err.problems).toHaveLength(2);
  });

  it('loads a folder of valid runbooks, diagnostics optional', async () => {
    const library = await loadRunbooks(runbookDir({ 'one.md': GOOD('one') }));
    expect(library.get('one')).toMatchObject({ id: 'one', diagnostics: {}, body: '# Steps\nDo things.', checklist: [{ id: 'first-step', text: 'Do the first thing' }] });
  });
});

describe('RUNBOOK_EVENTS', () => {
  it('are the lifecycle events runbooks match besides the failure taxonomy', () => {
    expect(RUNBOOK_EVENTS).toEqual(['flapping', 'failover_failed', 'maintenance']);
    expect(RUNBOOK_MATCHES).toEqual([...FAILURE_TAXONOMY, ...RUNBOOK_EVENTS]);
    for (const event of RUNBOOK_EVENTS) expect(FAILURE_TAXONOMY).not.toContain(event);
  });
});

describe('RunbookLibrary.forIncident', () => {
  const runbook = (id: string, matches: string[]): Runbook => ({ id, title: id, matches, severity: 'major', checklist: [], diagnostics: {}, body: 'x', file: `${id}.md` });
  const library = createRunbookLibrary([
    runbook('bgp-down', ['bgp_down']),
    runbook('link-down', ['link_down', 'bgp_down']),
    runbook('high-loss', ['high_loss']),
    runbook('latency', ['high_latency', 'high_jitter']),
    runbook('flapping', ['flapping']),
    runbook('stuck', ['failover_failed', 'high_loss']),
    runbook('planned', ['maintenance']),
  ]);
  const ids = (list: Runbook[]) => list.map((r) => r.id);

  it('puts the route’s runbooks first, then taxonomy matches, each once', () => {
    expect(ids(library.forIncident(['high-loss', 'missing', 'link-down'], ['bgp_down', 'high_loss']))).toEqual(['high-loss', 'link-down', 'bgp-down', 'stuck']);
  });

  it('orders taxonomy matches by taxonomy, then id', () => {
    expect(ids(library.forIncident([], ['high_jitter', 'bgp_down']))).toEqual(['latency', 'bgp-down', 'link-down']);
    expect(ids(library.forIncident(['latency', 'latency'], []))).toEqual(['latency']);
    expect(library.forIncident([], ['telemetry_gap'])).toEqual([]);
  });

  it('takes lifecycle events in the same list, in the order given', () => {
    expect(ids(library.forIncident([], ['high_loss', 'flapping']))).toEqual(['high-loss', 'stuck', 'flapping']);
    expect(ids(library.forIncident([], ['flapping', 'high_loss']))).toEqual(['flapping', 'high-loss', 'stuck']);
    expect(ids(library.forIncident(['planned'], ['maintenance', 'failover_failed', 'link_down']))).toEqual(['planned', 'stuck', 'link-down']);
    expect(ids(library.forIncident(['latency'], ['failover_failed', 'high_loss']))).toEqual(['latency', 'stuck', 'high-loss']);
  });

  it('matches the real runbooks', async () => {
    const real = await loadRunbooks();
    expect(ids(real.forIncident(['high-loss'], ['link_down', 'high_loss']))).toEqual(['high-loss', 'link-down']);
    expect(ids(real.forIncident(['link-down'], ['high_loss', 'flapping']))).toEqual(['link-down', 'high-loss', 'flapping']);
    expect(ids(real.forIncident([], ['telemetry_gap', 'maintenance']))).toEqual(['telemetry-gap', 'maintenance-overlap']);
    expect(ids(real.forIncident(['bgp-down'], ['bgp_down', 'unreachable', 'failover_failed']))).toEqual(['bgp-down', 'unreachable', 'failover-failed']);
    expect(real.all().map((r) => r.id)).toEqual([...real.all().map((r) => r.id)].sort());
  });
});

describe('runbookUrl', () => {
  it('joins a configured base URL and the id, else gives undefined', () => {
    expect(runbookUrl('link-down', 'https://wiki.example.com/runbooks/')).toBe('https://wiki.example.com/runbooks/link-down.md');
    expect(runbookUrl('link-down', 'https://git.example.com/statetrace/blob/main/runbooks')).toBe('https://git.example.com/statetrace/blob/main/runbooks/link-down.md');
    expect(runbookUrl('link-down')).toBeUndefined();
    expect(runbookUrl('link-down', '  ')).toBeUndefined();
  });
});
