import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config';
import { connectDatabase } from '../src/db/connect';
import { openStack, type Stack } from '../src/embedded/stack';
import { createLogger } from '../src/logger';
import { startOutageRig, type OutageRig } from '../test/support/outage-rig';
import { processesMentioning } from '../test/support/processes';
import { namespaceExists } from '../test/testbed/exec';
import { planFor } from '../test/testbed/plan';
import { testbedDown, testbedUp, type Testbed, type TestbedOptions } from '../test/testbed/testbed';
import type { Teardown } from './teardown';

/** What bench/run-benchmark.ts hands a benchmark. */
export interface BenchContext {
  /** The command line after the benchmark's name. */
  args: string[];
  /** `--quick`: a few iterations and short durations, to check that the benchmark still runs (CI), not to measure. */
  quick: boolean;
  /** Everything the benchmark starts is owned here: stopped newest first when it ends, fails or is interrupted. */
  teardown: Teardown;
}

/**
 * The figures of the BENCH line, in order. Numbers are printed as integers, or with one
 * decimal; a number that is not finite (no measurement) fails the run, as does any problem.
 */
export interface BenchResult {
  fields: Record<string, number | string>;
  problems?: string[];
}

export type Benchmark = (ctx: BenchContext) => Promise<BenchResult>;

/** `--name value`, a number; the default depends on --quick. */
export function numberOption(ctx: BenchContext, name: string, defaults: { full: number; quick: number }): number {
  const i = ctx.args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(ctx.args[i + 1]) : ctx.quick ? defaults.quick : defaults.full;
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A private embedded FerretDB (and Temporal dev server if asked), temporary folder, free ports, mongoose connected. */
export async function benchDatabase(
  ctx: BenchContext,
  env: NodeJS.ProcessEnv = {},
  opts: { temporal?: boolean } = {},
): Promise<{ stack: Stack; config: Config; dataDir: string }> {
  // Owned first, so stopped last: by then no server may be running from it.
  const dataDir = await ctx.teardown.own(
    'data folder',
    () => Promise.resolve(fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-bench-'))),
    (dir) => {
      fs.rmSync(dir, { recursive: true, force: true });
      const left = processesMentioning(dir);
      return left.length > 0 ? Promise.reject(new Error(`processes still running from ${dir}: ${left.join(', ')}`)) : Promise.resolve();
    },
  );
  const config = loadConfig({
    ...process.env,
    STATETRACE_DATA_DIR: dataDir,
    STATETRACE_FERRETDB_PORT: '0',
    STATETRACE_TEMPORAL_PORT: '0',
    STATETRACE_TEMPORAL_UI_PORT: '0',
    MONGODB_URI: '',
    TEMPORAL_ADDRESS: '',
    ...env,
  });
  const what = opts.temporal ? 'Temporal dev server and FerretDB' : 'FerretDB';
  const stack = await ctx.teardown.own(what, () => openStack(config, createLogger('warn'), { temporal: opts.temporal ?? false, mongo: true }), (s) => s.stop());
  await ctx.teardown.own('database connection', () => connectDatabase(stack.endpoints.mongoUri!, createLogger('warn')), (m) => m.disconnect());
  return { stack, config, dataDir };
}

/** Takes testbed `id` down and checks that its namespaces are gone. */
async function tearDownTestbed(id: number): Promise<void> {
  await testbedDown(id);
  const plan = planFor(id);
  const left = [];
  for (const ns of [plan.edgeNs, plan.coreNs]) if (await namespaceExists(ns)) left.push(ns);
  if (left.length > 0) throw new Error(`namespaces still there: ${left.join(', ')}`);
}

export function benchTestbed(ctx: BenchContext, opts: TestbedOptions & { id: number }): Promise<Testbed> {
  return ctx.teardown.own(`testbed ${opts.id}`, () => testbedUp(opts), () => tearDownTestbed(opts.id));
}

/** The whole product on a testbed (test/support/outage-rig.ts), stopped with the benchmark. */
export async function benchOutageRig(ctx: BenchContext, opts: Parameters<typeof startOutageRig>[0]): Promise<OutageRig> {
  // Torn down after the rig has stopped, also when the rig failed to start after building it.
  await ctx.teardown.own(`testbed ${opts.testbedId}`, () => Promise.resolve(), () => tearDownTestbed(opts.testbedId));
  return ctx.teardown.own('worker and sweeper', () => startOutageRig(opts), (rig) => rig.stop());
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU seconds of this process and of its reaped children (fping), from /proc. */
export function cpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // after the command name: utime=12, stime=13, cutime=14, cstime=15 (1-based from field 3)
  const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0);
  return ticks / 100;
}
