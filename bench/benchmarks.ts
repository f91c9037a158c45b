// The benchmarks: one bench/<name>.bench.ts each, exporting `run: Benchmark` (bench/support.ts).
import fs from 'node:fs';
import path from 'node:path';

export function benchmarkNames(): string[] {
  return fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.bench\.ts$/, ''))
    .sort();
}

export function benchmarkFile(name: string): string {
  return path.join(__dirname, `${name}.bench.ts`);
}

/** The line a finished run ends with: `BENCH <name> key=value …`. */
export function benchLinePattern(name: string): RegExp {
  return new RegExp(`^BENCH ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( [a-z0-9_]+=\\S+)+$`);
}
