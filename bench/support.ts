import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config';
import { connectDatabase } from '../src/db/connect';
import { openStack, type Stack } from '../src/embedded/stack';
import { createLogger } from '../src/logger';

/** `--name value` options with numeric defaults. */
export function numberOption(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}

/** A private embedded FerretDB (and Temporal dev server if asked), temporary folder, free ports, mongoose connected. */
export async function benchDatabase(
  env: NodeJS.ProcessEnv = {},
  opts: { temporal?: boolean } = {},
): Promise<{ stack: Stack; config: Config; dataDir: string; stop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-bench-'));
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
  const stack = await openStack(config, createLogger('warn'), { temporal: opts.temporal ?? false, mongo: true });
  const mongoose = await connectDatabase(stack.endpoints.mongoUri!, createLogger('warn'));
  return {
    stack,
    config,
    dataDir,
    async stop() {
      await mongoose.disconnect();
      await stack.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
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
