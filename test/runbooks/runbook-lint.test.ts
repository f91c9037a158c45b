import fs from 'node:fs';
import path from 'node:path';
import { FAILURE_TAXONOMY } from '../../src/models/route-health-snapshot';
import { DEFAULT_RUNBOOK_DIR, loadRunbooks, parseRunbook, RUNBOOK_EVENTS, RUNBOOK_VENDORS, type Runbook } from '../../src/runbooks/load-runbooks';

/**
 * Lint of the runbooks shipped in runbooks/: what the loader accepts is the minimum; this
 * asks for what an on-call engineer needs (a checklist, commands for every vendor, steps)
 * and that every failure taxonomy value and lifecycle event leads to a runbook.
 */

const files = fs
  .readdirSync(DEFAULT_RUNBOOK_DIR)
  .filter((n) => n.endsWith('.md') && n.toLowerCase() !== 'readme.md')
  .sort();

/** Each file parsed on its own, so a failure names the file. */
const parsed = files.map((name) => {
  const file = path.join(DEFAULT_RUNBOOK_DIR, name);
  const result = parseRunbook(fs.readFileSync(file, 'utf8'), file);
  return { name, result, runbook: 'runbook' in result ? result.runbook : undefined };
});
const runbooks = parsed.flatMap((p) => (p.runbook ? [p.runbook] : []));

/** Placeholders a diagnostic command may use (runbooks/README.md explains them). */
const PLACEHOLDERS = new Set(['<if>', '<target>', '<source-ip>', '<peer>', '<prefix>', '<next-hop>', '<backup-if>', '<backup-ip>', '<oid>', '<operation>']);

/** Runbooks the product promises (issue 6): each kind of trouble an on-call engineer is paged for. */
const REQUIRED = ['link-down', 'bgp-down', 'unreachable', 'high-loss', 'high-latency', 'high-jitter', 'flapping', 'telemetry-gap', 'snmp-mismatch', 'failover-failed', 'maintenance-overlap'];

describe('runbooks/ as a whole', () => {
  it('has runbook files, and loadRunbooks() accepts the folder with every file in it', async () => {
    expect(files.length).toBeGreaterThanOrEqual(REQUIRED.length);
    const library = await loadRunbooks();
    expect(library.all().map((r) => `${r.id}.md`)).toEqual(files);
  });

  it('has the runbooks the product promises', () => {
    expect(runbooks.map((r) => r.id)).toEqual(expect.arrayContaining(REQUIRED));
  });

  it.each([...FAILURE_TAXONOMY])('has a runbook for the failure taxonomy value %s', (kind) => {
    expect(runbooks.filter((r) => r.matches.includes(kind)).map((r) => r.id)).not.toEqual([]);
  });

  it.each([...RUNBOOK_EVENTS])('has a runbook for the lifecycle event %s', (event) => {
    expect(runbooks.filter((r) => r.matches.includes(event)).map((r) => r.id)).not.toEqual([]);
  });

  it('has no two runbooks with the same id or the same title', () => {
    const ids = runbooks.map((r) => r.id);
    const titles = runbooks.map((r) => r.title.toLowerCase());
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
  });
});

describe.each(parsed)('runbooks/$name', ({ result, runbook: maybe }) => {
  // Defined for every file that parses; the first test fails with the problems for one that does not.
  const runbook = maybe as Runbook;

  it('loads', () => {
    expect('problems' in result ? result.problems : []).toEqual([]);
  });

  if (!maybe) return;

  it('has 5 to 8 checklist items, each a sentence', () => {
    expect(runbook.checklist.length).toBeGreaterThanOrEqual(5);
    expect(runbook.checklist.length).toBeLessThanOrEqual(8);
    for (const item of runbook.checklist) {
      expect(item.text).toMatch(/^[A-Z"]/);
      expect(item.text).toMatch(/[.?]$/);
      expect(item.text.length).toBeGreaterThanOrEqual(40);
    }
  });

  it('has diagnostics for every vendor: at least three read-only commands each', () => {
    expect(Object.keys(runbook.diagnostics).sort()).toEqual([...RUNBOOK_VENDORS].sort());
    for (const vendor of RUNBOOK_VENDORS) {
      const commands = runbook.diagnostics[vendor]!;
      expect(commands.length).toBeGreaterThanOrEqual(3);
      expect(new Set(commands).size).toBe(commands.length);
      for (const command of commands) expect(command).toMatch(/^(show|ping|traceroute) \S/);
    }
  });

  it("writes each vendor's commands in that vendor's syntax", () => {
    const { junos = [], 'ios-xe': iosXe = [], eos = [] } = runbook.diagnostics;
    // Junos filters output with `| match`, counts pings with `count` and sources them from an address.
    for (const command of junos) {
      expect(command).not.toMatch(/\| *(include|exclude|section|begin)\b/);
      expect(command).not.toMatch(/\brepeat\b|source <(if|backup-if)>/);
    }
    // IOS-XE and EOS filter with `| include`, count pings with `repeat`.
    for (const command of [...iosXe, ...eos]) {
      expect(command).not.toMatch(/\| *match\b/);
      expect(command).not.toMatch(/^ping .*\b(count|rapid)\b/);
      expect(command).not.toMatch(/\bextensive\b|\bno-resolve\b/);
    }
  });

  it('uses only the documented placeholders in its commands', () => {
    const used = Object.values(runbook.diagnostics).flatMap((commands) => commands.flatMap((c) => c.match(/<[^>]+>/g) ?? []));
    expect(used.filter((p) => !PLACEHOLDERS.has(p))).toEqual([]);
  });

  it('has a body titled like the runbook, saying when it fires and the goal, in at least four numbered sections', () => {
    expect(runbook.body.split('\n')[0]).toBe(`# ${runbook.title}`);
    expect(runbook.body).toContain('**When this fires:**');
    expect(runbook.body).toContain('**Goal:**');
    const sections = runbook.body.match(/^## \d+\. \S.*$/gm) ?? [];
    expect(sections.length).toBeGreaterThanOrEqual(4);
    const numbers = sections.map((s) => Number(/^## (\d+)\./.exec(s)![1]));
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
  });

  it('gives the circuit id to quote when it escalates to a carrier', () => {
    if (runbook.checklist.some((item) => /\bcarrier\b/i.test(item.text) && /\bescalate/i.test(item.text))) {
      expect(runbook.body).toMatch(/\*\*circuit id\*\*/);
    }
  });
});

describe('runbooks/README.md', () => {
  const readme = fs.readFileSync(path.join(DEFAULT_RUNBOOK_DIR, 'README.md'), 'utf8');
  /** Rows of the table under "## Runbooks": `| [id](id.md) | `match`, ... | severity | for |`. */
  const rows = [...readme.matchAll(/^\| \[([^\]]+)\]\(([^)]+)\) \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => ({
    id: m[1]!,
    link: m[2]!,
    matches: [...m[3]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!),
    severity: m[4]!.trim(),
  }));

  it('lists exactly the runbook files, by id, in order', () => {
    expect(rows.map((r) => r.link)).toEqual(files);
    expect(rows.map((r) => `${r.id}.md`)).toEqual(files);
  });

  it("gives each runbook's matches and severity as in its front matter", () => {
    for (const row of rows) {
      const runbook = runbooks.find((r) => r.id === row.id);
      expect({ id: row.id, matches: row.matches, severity: row.severity }).toEqual({ id: row.id, matches: runbook?.matches, severity: runbook?.severity });
    }
  });

  it('names every failure taxonomy value and lifecycle event', () => {
    for (const value of [...FAILURE_TAXONOMY, ...RUNBOOK_EVENTS]) expect(readme).toContain(`\`${value}\``);
  });
});
