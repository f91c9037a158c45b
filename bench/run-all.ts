/**
 * `npm run bench -- all [--quick] [--limit-sec N] [--report file.json]`: every benchmark in
 * turn, each in its own process (bench/run-benchmark.ts). A benchmark passes when it exits 0
 * and its last output line is its `BENCH <name> …` line. CI runs this with --quick, so a
 * benchmark that no longer finishes, fails or stops printing its figures fails the build. One
 * running longer than its limit (quick: 240 s) is sent SIGTERM, so it still tears down what it
 * started. The last line is `BENCH-ALL passed=N failed=M seconds=S`; exit 1 when any failed.
 * A stop signal is handed to the running benchmark, and no further one starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { exitCodeOf, spawnTsxChild, STOP_SIGNALS } from '../test/support/tsx-child';
import { benchLinePattern, benchmarkNames } from './benchmarks';

interface BenchOutcome {
  name: string;
  ok: boolean;
  seconds: number;
  /** The BENCH line, when there was one. */
  line?: string;
  reason?: string;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

let stopSignal: NodeJS.Signals | undefined;
let current: ReturnType<typeof spawnTsxChild> | undefined;
for (const signal of STOP_SIGNALS) {
  process.on(signal, () => {
    if (stopSignal) return;
    stopSignal = signal;
    process.stderr.write(`${signal}: stopping the running benchmark (it tears down what it started); no further one starts\n`);
    current?.kill(signal);
  });
}

/** Runs one benchmark, its output prefixed with its name, and judges it. */
function runOne(name: string, args: string[], limitSec: number): Promise<BenchOutcome> {
  const started = Date.now();
  const child = spawnTsxChild(path.join(__dirname, 'run-benchmark.ts'), [name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  current = child;
  let lastLine: string | undefined;
  const prefix = (stream: NodeJS.ReadableStream, out: NodeJS.WritableStream, onLine?: (line: string) => void) =>
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      out.write(`[${name}] ${line}\n`);
      if (line.trim()) onLine?.(line);
    });
  prefix(child.stdout!, process.stdout, (line) => (lastLine = line));
  prefix(child.stderr!, process.stderr);
  let overLimit = false;
  const timer = limitSec > 0 ? setTimeout(() => ((overLimit = true), child.kill('SIGTERM')), limitSec * 1000) : undefined;
  return new Promise((resolve) => {
    child.once('error', (err) => resolve({ name, ok: false, seconds: 0, reason: `cannot start: ${err.message}` }));
    // 'close': the output is read to its end as well.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      const seconds = Math.round((Date.now() - started) / 1000);
      const exit = exitCodeOf(code, signal);
      const line = lastLine && benchLinePattern(name).test(lastLine) ? lastLine : undefined;
      const reason = overLimit
        ? `still running after ${limitSec} s (stopped; exit ${exit})`
        : exit !== 0
          ? `exit ${exit}`
          : !line
            ? `no BENCH line at the end of its output (last line: ${JSON.stringify(lastLine ?? '')})`
            : undefined;
      resolve({ name, ok: reason === undefined, seconds, line, reason });
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const limitSec = Number(option(args, 'limit-sec') ?? (quick ? 240 : 0));
  if (!Number.isFinite(limitSec) || limitSec < 0) throw new Error('--limit-sec needs a number of seconds (0: no limit)');
  const report = option(args, 'report');
  const started = Date.now();
  const outcomes: BenchOutcome[] = [];
  for (const name of benchmarkNames()) {
    if (stopSignal) break;
    console.log(`::: npm run bench -- ${name}${quick ? ' --quick' : ''}`);
    const outcome = await runOne(name, quick ? ['--quick'] : [], limitSec);
    outcomes.push(outcome);
    console.log(`::: ${name}: ${outcome.ok ? 'passed' : `FAILED (${outcome.reason})`} in ${outcome.seconds} s`);
  }
  const failed = outcomes.filter((o) => !o.ok);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (report) fs.writeFileSync(report, JSON.stringify({ quick, seconds, interrupted: stopSignal ?? null, outcomes }, null, 2));
  console.log(`BENCH-ALL passed=${outcomes.length - failed.length} failed=${failed.length} seconds=${seconds}${stopSignal ? ` interrupted=${stopSignal}` : ''}`);
  if (stopSignal) return exitCodeOf(null, stopSignal);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`npm run bench -- all: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
