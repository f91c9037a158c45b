import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * CI's share of the model-based test (test/model/run.ts): 500 generated histories of the outage
 * lifecycle against the real workflow code, every invariant of docs/outage-lifecycle.md checked
 * after each. A failure prints its seed, fast-check path and shrunk history; replay it with
 * `npm run test:model -- --seed S --path P`.
 */
const ROOT = path.resolve(__dirname, '../..');
const SEQUENCES = 500;

it(`the outage lifecycle keeps its invariants over ${SEQUENCES} generated histories`, () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'run.ts'), '--sequences', String(SEQUENCES)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // About 6 minutes on 2 lanes of a 2-core machine (README, Reliability); room for a busier CI.
    timeout: 12 * 60_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  const line = output.trim().split('\n').filter((l) => l.startsWith('MODEL sequences=')).at(-1);
  if (run.status !== 0 || !line) console.log(output.slice(-30_000));
  expect(line).toBe(`MODEL sequences=${SEQUENCES} failures=0 invariants=9`);
  expect(run.status).toBe(0);
}, 13 * 60_000);
