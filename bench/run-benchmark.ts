/**
 * One benchmark, in this process (bench/run.ts starts it): `<name> [--quick] [--key value …]`.
 * The benchmark's own output comes first; its `BENCH <name> key=value …` line is printed last,
 * once everything it started has stopped. It exits 1 when the benchmark failed, reported a
 * problem or measured nothing (a figure that is not a number). SIGINT, SIGTERM or SIGHUP stop
 * it: everything it started (testbeds, servers, worker, sweeper) is torn down, then it exits
 * with 128 + the signal's number, without a BENCH line.
 */
import os from 'node:os';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { STOP_SIGNALS } from '../test/support/tsx-child';
import { benchmarkFile, benchmarkNames } from './benchmarks';
import type { BenchResult, Benchmark } from './support';
import { Teardown } from './teardown';

type Outcome = { kind: 'done'; result: BenchResult } | { kind: 'failed'; error: unknown } | { kind: 'interrupted'; signal: NodeJS.Signals };

const say = (line: string) => process.stderr.write(`${line}\n`);

function formatValue(value: number | string): string {
  if (typeof value === 'string') return value;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** The BENCH line, and what is wrong with the result (a figure that is not a number, a problem it reported). */
function benchLine(name: string, result: BenchResult, quick: boolean): { line: string; problems: string[] } {
  const fields = { ...result.fields, ...(quick ? { quick: 1 } : {}) };
  const unmeasured = Object.entries(fields).filter(([, v]) => typeof v === 'number' && !Number.isFinite(v)).map(([k]) => `${k}: nothing measured`);
  const line = `BENCH ${name} ${Object.entries(fields).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ')}`;
  return { line, problems: [...(result.problems ?? []), ...unmeasured] };
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || !benchmarkNames().includes(name)) {
    say(`usage: npm run bench -- <name>|all [--quick] [options]\nbenchmarks: ${benchmarkNames().join(', ')}`);
    return 2;
  }
  const teardown = new Teardown();
  let interrupted: NodeJS.Signals | undefined;
  const signalled = new Promise<Outcome>((resolve) => {
    for (const signal of STOP_SIGNALS) {
      process.on(signal, () => {
        if (interrupted) {
          say(`${signal} again: still tearing down, a moment`);
          return;
        }
        interrupted = signal;
        say(`${signal}: stopping the benchmark; tearing down everything it started`);
        resolve({ kind: 'interrupted', signal });
      });
    }
  });
  // Something failing in the background (a worker, a closed pipe) ends the run through the teardown too.
  const crashed = new Promise<Outcome>((resolve) => {
    process.on('unhandledRejection', (error) => resolve({ kind: 'failed', error }));
    process.on('uncaughtException', (error) => resolve({ kind: 'failed', error }));
  });
  // The worker must not stop by itself on a signal: the teardown stops it, then the servers under it.
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });

  const quick = args.includes('--quick');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bench = require(benchmarkFile(name)) as { run: Benchmark };
  const running = bench.run({ args, quick, teardown }).then(
    (result): Outcome => ({ kind: 'done', result }),
    (error: unknown): Outcome => ({ kind: 'failed', error }),
  );
  const outcome = await Promise.race([running, signalled, crashed]);
  if (outcome.kind === 'failed') say(`benchmark ${name} failed: ${outcome.error instanceof Error ? (outcome.error.stack ?? outcome.error.message) : String(outcome.error)}`);

  const left = await teardown.run();
  for (const problem of left) say(`teardown: ${problem}`);
  if (interrupted) {
    say(left.length === 0 ? 'torn down: nothing the benchmark started is left' : 'teardown incomplete (see above)');
    return 128 + os.constants.signals[interrupted];
  }
  if (outcome.kind !== 'done') return 1;
  const { line, problems } = benchLine(name, outcome.result, quick);
  for (const problem of problems) say(`benchmark ${name}: ${problem}`);
  console.log(line);
  return problems.length + left.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(String(err instanceof Error ? err.stack : err));
    process.exit(1);
  },
);
