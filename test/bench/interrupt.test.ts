import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { PROJECT_ROOT } from '../../src/config';
import { pidsInNamespace } from '../testbed/processes';
import { processesWithEnv } from '../support/processes';
import { until } from '../support/until';

/**
 * `npm run bench -- failover --quick` (testbed 10) stopped before it ends, the two ways a
 * run is stopped: SIGTERM to npm alone (as `timeout` or a supervisor sends it) as soon as
 * its testbed is up, while the worker is being built (a busy event loop); and Ctrl-C (SIGINT
 * to the whole process group) during its first cut. Either way it tears down everything it
 * started — the st10- namespaces and the testbed's helpers, the worker and sweeper, Temporal
 * and FerretDB — prints no BENCH line and exits non-zero. Its processes are found by a token in
 * their environment, which everything the run starts inherits.
 */
const TOKEN_VAR = 'STATETRACE_BENCH_TEST_TOKEN';
const st10Namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('st10-'));

interface BenchRun {
  output: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  token: string;
}

/** Runs the benchmark in its own process group; `interrupt` decides when to signal whom. */
function runFailoverBench(interrupt: (run: { npm: number; output: () => string }) => Promise<void>): Promise<BenchRun> {
  const token = randomUUID();
  const child = spawn('npm', ['run', 'bench', '--', 'failover', '--quick'], { cwd: PROJECT_ROOT, env: { ...process.env, [TOKEN_VAR]: token }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = new Promise<BenchRun>((resolve) => child.once('close', (code, signal) => resolve({ output, code, signal, token })));
  interrupt({ npm: child.pid!, output: () => output }).catch((err: unknown) => {
    output += `\n(test: ${(err as Error).message}; interrupting now)\n`;
    process.kill(-child.pid!, 'SIGINT');
  });
  return closed;
}

async function expectNothingLeft(run: BenchRun): Promise<void> {
  expect(run.output).toMatch(/tearing down everything it started/);
  expect(run.output).toMatch(/torn down: nothing the benchmark started is left/);
  expect(run.output).not.toMatch(/^BENCH /m);
  expect(run.code ?? run.signal).not.toBe(0);
  let left: number[] = [];
  // A moment for the last exits to be reaped; anything there after that was left behind.
  await until('no process of the run left', () => (left = processesWithEnv(TOKEN_VAR, run.token)).length === 0, 15_000).catch(() => undefined);
  expect(left.map((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 100))).toEqual([]);
  expect(st10Namespaces()).toEqual([]);
}

beforeAll(() => {
  // A testbed 10 here would be a failover benchmark running (or left over): this test would take it down.
  expect(st10Namespaces()).toEqual([]);
});

it('SIGTERM to npm as soon as the testbed is up: tears it down, and everything else', async () => {
  const run = await runFailoverBench(async ({ npm }) => {
    // snmpd in the edge namespace is the last thing the testbed starts.
    await until('testbed 10 up', async () => (await pidsInNamespace('st10-edge')).length > 0, 120_000, { everyMs: 50 });
    process.kill(npm, 'SIGTERM');
  });
  expect(run.output).toMatch(/SIGTERM: stopping the benchmark/);
  expect(run.output).not.toMatch(/cut 1\//);
  await expectNothingLeft(run);
}, 180_000);

it('Ctrl-C during the first cut: tears everything down', async () => {
  const run = await runFailoverBench(async ({ npm, output }) => {
    await until('the first cut', () => /cut 1\/2/.test(output()), 120_000);
    process.kill(-npm, 'SIGINT');
  });
  expect(run.output).toMatch(/SIGINT: stopping the benchmark/);
  await expectNothingLeft(run);
}, 180_000);
