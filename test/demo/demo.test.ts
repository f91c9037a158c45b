import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { until } from '../support/until';

/**
 * `npm run demo` as a user runs it (issue 9): a child process with its own process group,
 * signalled the way a terminal's Ctrl-C or a supervisor's SIGTERM reaches it (the whole
 * group). It must finish in under 3 minutes, narrate every phase in order, leave the incident
 * packet in demo-output/, and — finished or interrupted — leave no st0- namespace and no
 * process behind. The demo's processes are found by a token in their environment, which
 * every process it starts (Temporal, FerretDB, snmpd, the ICMP responder, Chromium) inherits.
 */
const LIMIT_MS = 180_000;
const TOKEN_VAR = 'STATETRACE_DEMO_TEST_TOKEN';

interface DemoRun {
  output: string;
  code: number | null;
  ms: number;
  token: string;
}

/** Runs `npm run demo`; `interrupt` sends a signal to its process group `afterMs` after the output matches. */
function runDemo(interrupt?: { when: RegExp; afterMs: number; signal: NodeJS.Signals }): Promise<DemoRun> {
  const token = randomUUID();
  const started = Date.now();
  const child = spawn('npm', ['run', 'demo'], { cwd: PROJECT_ROOT, env: { ...process.env, [TOKEN_VAR]: token }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let matched = false;
  const signalGroup = (signal: NodeJS.Signals) => process.kill(-child.pid!, signal);
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (!interrupt || matched || !interrupt.when.test(output)) return;
    matched = true;
    setTimeout(() => signalGroup(interrupt.signal), interrupt.afterMs);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // Over the limit: interrupted (so it still cleans up), and the test fails on the time.
  const limit = setTimeout(() => signalGroup('SIGINT'), LIMIT_MS);
  // 'close': every holder of the output pipes is gone, the demo itself included.
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(limit);
      resolve({ output, code, ms: Date.now() - started, token });
    }),
  );
}

/** Processes whose environment carries this run's token. */
function processesOf(token: string): string[] {
  const needle = `${TOKEN_VAR}=${token}`;
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(needle) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false; // exited while we looked
      }
    })
    .map((pid) => `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 120)}`);
}

const st0Namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('st0-'));

async function expectNothingLeft(run: DemoRun): Promise<void> {
  let left: string[] = [];
  // A few seconds for the last exits to be reaped; anything still there after that was left behind.
  await until('the demo to leave no process behind', () => (left = processesOf(run.token)).length === 0, 15_000, { context: () => left.join('; ') }).catch(() => undefined);
  expect(left).toEqual([]);
  expect(st0Namespaces()).toEqual([]);
}

/** Position of the line that ticks a step off, e.g. `✓ Detection — …`; -1 when there is none. */
const ticked = (output: string, label: string) => output.search(new RegExp(`^\\[[ \\d.]+ s\\] ✓ ${label}`, 'm'));

beforeAll(() => {
  // The demo refuses to run over a testbed 0 it did not build; a leftover here is a defect of an earlier run.
  expect(st0Namespaces()).toEqual([]);
});

it('runs the whole outage in under 3 minutes, narrates each phase in order, writes the packet and leaves nothing behind', async () => {
  const run = await runDemo();
  console.log(`npm run demo: exit ${run.code} after ${(run.ms / 1000).toFixed(1)} s`);
  expect(run.output).not.toMatch(/✗/);
  expect(run.code).toBe(0);
  expect(run.ms).toBeLessThan(LIMIT_MS);

  const inOrder = ['Detection', 'Alert', 'Escalation', 'Heal the primary link', 'Failback', 'Resolve', 'Packet', 'Clean up'].map((label) => ticked(run.output, label));
  expect(inOrder.every((at) => at >= 0)).toBe(true);
  expect([...inOrder].sort((a, b) => a - b)).toEqual(inOrder);
  // The failover happens while the escalation timer runs: after the detection, before the heal.
  const failover = ticked(run.output, 'Failover');
  expect(failover).toBeGreaterThan(inOrder[0]!);
  expect(failover).toBeLessThan(inOrder[3]!);
  expect(run.output).toMatch(/Failover: st0-edge: 198\.18\.8\.0\/24 via 198\.18\.2\.2 \(backup link\)/);
  expect(run.output).toMatch(/Failback: st0-edge: 198\.18\.8\.0\/24 via 198\.18\.1\.2 \(primary link\)/);

  const pdf = /✓ Packet — (demo-output\/(inc-[\w-]+)\.pdf)/.exec(run.output);
  expect(pdf).not.toBeNull();
  const file = path.join(PROJECT_ROOT, pdf![1]!);
  expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
  const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
  expect(text).toContain('branch-dc1');
  expect(text).toContain(pdf![2]!);
  expect(run.output).toContain(`Incident ${pdf![2]} (critical)`);

  await expectNothingLeft(run);
}, LIMIT_MS + 30_000);

it('Ctrl-C in the middle of the outage: stops, cleans up everything, exits as interrupted', async () => {
  const run = await runDemo({ when: /✓ Failover/, afterMs: 0, signal: 'SIGINT' });
  expect(run.output).toMatch(/interrupted by SIGINT/);
  expect(run.output).toMatch(/✓ Clean up/);
  expect(run.output).not.toMatch(/✓ Resolve/);
  expect(run.code).not.toBe(0);
  await expectNothingLeft(run);
}, 120_000);

it('SIGTERM while the worker is being built (a busy event loop): still cleans up everything', async () => {
  // About when the workflow bundle is built, with the event loop blocked for 100s of ms (measured).
  // Run straight under tsx's CLI, which SIGKILLs a child that does not acknowledge a signal in
  // 30 ms, the demo was killed here 2 times out of 3 and left testbed 0 up.
  const run = await runDemo({ when: /… Build testbed/, afterMs: 1000, signal: 'SIGTERM' });
  expect(run.output).toMatch(/interrupted by SIGTERM/);
  expect(run.output).toMatch(/✓ Clean up/);
  expect(run.output).not.toMatch(/✓ Detection/);
  expect(run.code).not.toBe(0);
  await expectNothingLeft(run);
}, 120_000);

it("refuses to run over a testbed 0 it did not build, and leaves it alone", async () => {
  execFileSync('ip', ['netns', 'add', 'st0-edge']);
  try {
    const run = await runDemo();
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/testbed 0 is already up .* will not tear yours down/);
    expect(st0Namespaces()).toEqual(['st0-edge']);
    expect(processesOf(run.token)).toEqual([]);
  } finally {
    execFileSync('ip', ['netns', 'delete', 'st0-edge']);
  }
}, 60_000);
