import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { LaneJob, LaneReport, Replay } from './check-lane';
import { invariants } from './invariants';

/**
 * npm run test:model -- --sequences N [--seed S] [--lanes L] [--path P] [--commit REV] [--max-failures F] [--shrink no]
 * npm run test:model -- --found K [--lanes L] [--commit REV]
 *
 * The model-based test of the outage lifecycle (docs/outage-lifecycle.md): N generated histories
 * played on Temporal's time-skipping test server against the real workflow code, split over L
 * lanes (processes, each with its own server and workers and a seed derived from S), every
 * history checked against the invariants. --path replays one failure (with its seed); --commit
 * tests the workflows/ of a git revision instead of the working tree; --shrink no reports failing
 * histories as generated (a survey of many failures is faster). The last line is
 * `MODEL sequences=N failures=F invariants=K`; the exit code is 1 when any history failed.
 * --found K plays each history of test/model/found.json (those that found a defect) K times:
 * several of those defects showed only in some plays (how a worker's tasks were scheduled).
 * Its last line is `MODEL found=H plays=N failures=F invariants=K`.
 */

interface Options {
  sequences: number;
  seed: number;
  lanes: number;
  path?: string;
  /** Plays of each history of found.json. */
  found?: number;
  commit?: string;
  maxFailures: number;
  shrink: boolean;
}

const USAGE = 'usage: npm run test:model -- --sequences N [--seed S] [--lanes L] [--path P] [--commit REV] [--max-failures F] [--shrink no] | --found K [--lanes L] [--commit REV]';
/**
 * Histories that found a defect, with what each found: kept as generated (their seed and path
 * name them only while sequence.ts's generators stay as they were).
 */
const FOUND = path.join(__dirname, 'found.json');

interface Found extends Required<Replay> {
  found: string;
}
const ROOT = path.resolve(__dirname, '../..');

export function parseOptions(argv: string[]): Options {
  const options: Options = { sequences: 100, seed: Date.now() % 2 ** 31, lanes: Math.max(1, Math.min(3, os.cpus().length)), maxFailures: 3, shrink: true };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    const int = () => {
      if (!/^-?\d+$/.test(value)) throw new Error(`${flag} takes a whole number, not "${value}"\n${USAGE}`);
      return Number(value);
    };
    if (flag === '--sequences') options.sequences = int();
    else if (flag === '--seed') options.seed = int();
    else if (flag === '--lanes') options.lanes = int();
    else if (flag === '--max-failures') options.maxFailures = int();
    else if (flag === '--path') options.path = value;
    else if (flag === '--found') options.found = int();
    else if (flag === '--commit') options.commit = value;
    else if (flag === '--shrink') {
      if (value !== 'yes' && value !== 'no') throw new Error(`--shrink takes yes or no, not "${value}"\n${USAGE}`);
      options.shrink = value === 'yes';
    }
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (options.sequences < 1 || options.lanes < 1 || options.maxFailures < 1 || (options.found ?? 1) < 1) throw new Error(`--sequences, --lanes, --max-failures and --found must be at least 1\n${USAGE}`);
  if (options.found !== undefined && options.path !== undefined) throw new Error(`--found and --path exclude each other\n${USAGE}`);
  if (options.path !== undefined) Object.assign(options, { lanes: 1, sequences: 1 });
  return options;
}

/** The workflows of a git revision, exported next to the activity contracts they import. */
function exportCommit(commit: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-model-'));
  const tar = execFileSync('git', ['archive', commit, 'workflows', 'activities'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'workflows');
}

async function bundle(workflowsDir: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve(workflowsDir), logger: new DefaultLogger('WARN') });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-model-bundle-')), 'workflows.js');
  fs.writeFileSync(file, code);
  return file;
}

/**
 * The time-skipping server's own diagnostics (its time-lock trace and Java stack traces, printed
 * when a history held its clock and was abandoned): the history's failure already says so.
 */
const SERVER_NOISE = /^(\s+at |\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\t|java\.|Self Advancing Timer|[A-Z][a-z]{2} \d\d, \d{4} |SEVERE:|INFO:|WARNING:|\s*$)/;

function passOn(from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream): void {
  if (!from) return;
  readline.createInterface({ input: from }).on('line', (line) => {
    if (!SERVER_NOISE.test(line)) to.write(`${line}\n`);
  });
}

function runLaneProcess(job: LaneJob): Promise<LaneReport> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'check-lane.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    passOn(child.stdout, process.stdout);
    passOn(child.stderr, process.stderr);
    let report: LaneReport | undefined;
    child.on('message', (m: LaneReport) => (report = m));
    child.on('error', reject);
    child.on('exit', (code) => (report ? resolve(report) : reject(new Error(`lane ${job.lane} exited with ${code} before reporting`))));
    child.send(job);
  });
}

export async function runModel(options: Options): Promise<{ sequences: number; failures: number; line: string }> {
  const workflowsDir = options.commit ? exportCommit(options.commit) : path.join(ROOT, 'workflows');
  const workflowCodePath = await bundle(workflowsDir);
  try {
    return await runLanes(options, workflowCodePath);
  } finally {
    fs.rmSync(path.dirname(workflowCodePath), { recursive: true, force: true });
    if (options.commit) fs.rmSync(path.dirname(workflowsDir), { recursive: true, force: true });
  }
}

/** What each lane plays: a share of N generated histories, one failure again, or the found histories K times each. */
function plan(options: Options): { lanes: (Replay[] | number)[]; says: string } {
  if (options.path !== undefined) return { lanes: [[{ seed: options.seed, path: options.path }]], says: `1 history (seed ${options.seed}, path ${options.path})` };
  if (options.found !== undefined) {
    const found = JSON.parse(fs.readFileSync(FOUND, 'utf8')) as Found[];
    const plays: Replay[] = found.flatMap(({ seed, path, history }) => Array.from({ length: options.found! }, () => ({ seed, path, history })));
    const lanes = Array.from({ length: Math.min(options.lanes, plays.length) }, (_, lane) => plays.filter((_p, i) => i % options.lanes === lane));
    return { lanes, says: `the ${found.length} histories of found.json, ${options.found} plays each` };
  }
  const share = (lane: number) => Math.floor(options.sequences / options.lanes) + (lane < options.sequences % options.lanes ? 1 : 0);
  const lanes = Array.from({ length: options.lanes }, (_, lane) => share(lane)).filter((n) => n > 0);
  return { lanes, says: `${options.sequences} histories, seed ${options.seed}` };
}

async function runLanes(options: Options, workflowCodePath: string): Promise<{ sequences: number; failures: number; line: string }> {
  const started = Date.now();
  const { lanes, says } = plan(options);
  const jobs: LaneJob[] = lanes.map((work, lane) => ({
    lane,
    sequences: typeof work === 'number' ? work : work.length,
    seed: (options.seed + lane * 1_000_003) | 0,
    workflowCodePath,
    maxFailures: options.maxFailures,
    shrink: options.shrink,
    replayOptions: options.commit ? ` --commit ${options.commit}` : '',
    ...(typeof work === 'number' ? {} : { replays: work }),
  }));
  console.log(`model: ${says} on ${jobs.length} lanes, workflows from ${options.commit ? `commit ${options.commit}` : 'the working tree'}`);
  const reports = await Promise.all(jobs.map(runLaneProcess));
  const sequences = reports.reduce((n, r) => n + r.sequences, 0);
  const failures = reports.reduce((n, r) => n + r.failures.length, 0);
  const seconds = (Date.now() - started) / 1000;
  const playedAgain = reports.reduce((n, r) => n + r.playedAgain, 0);
  for (const r of reports) console.log(`lane ${r.lane}: ${r.sequences} histories in ${r.seconds.toFixed(0)} s (${(r.sequences / r.seconds).toFixed(2)}/s), ${r.failures.length} failing`);
  console.log(`model: ${sequences} histories in ${seconds.toFixed(0)} s: ${(sequences / seconds).toFixed(2)} histories/s`);
  console.log(`model: ${playedAgain} histories held the test server's clock with no workflow task failing in code or stalled on the wall clock, and passed when played again on a fresh server`);
  const line = options.found !== undefined ? `MODEL found=${sequences / options.found} plays=${sequences} failures=${failures} invariants=${invariants.length}` : `MODEL sequences=${sequences} failures=${failures} invariants=${invariants.length}`;
  console.log(line);
  return { sequences, failures, line };
}

if (require.main === module) {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  runModel(options).then(
    ({ failures }) => process.exit(failures > 0 ? 1 : 0),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
