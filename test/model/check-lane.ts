import fc from 'fast-check';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { playHistory } from './drive';
import { violations } from './invariants';
import { Lane } from './lane';
import { histories, type History } from './sequence';

/**
 * One lane of `npm run test:model` in its own process: a time-skipping server, its workers,
 * and fast-check running this lane's share of the histories from the lane's seed. After a
 * failing history (shrunk, printed) the lane goes on from the next seed, so one defect does
 * not hide the rest of the run; it stops after `maxFailures`.
 */

export interface LaneJob {
  lane: number;
  sequences: number;
  seed: number;
  workflowCodePath: string;
  maxFailures: number;
  /** Shrink a failing history before reporting it (off: report it as generated, and go on sooner). */
  shrink: boolean;
  /** Options a replay of this lane's failures needs besides seed and path (e.g. the commit tested). */
  replayOptions: string;
  /** Replays one failure (`seed` with this fast-check path) instead of generating. */
  path?: string;
}

export interface LaneFailure {
  seed: number;
  path: string;
  history: string;
  found: string[];
  invariants: string[];
}

export interface LaneReport {
  lane: number;
  sequences: number;
  failures: LaneFailure[];
  seconds: number;
}

/** A history that fails an invariant; its message lists what each one found. */
class Violation extends Error {
  constructor(readonly found: { name: string; found: string[] }[]) {
    super(found.map((v) => v.found.map((f) => `[${v.name}] ${f}`).join('\n')).join('\n'));
  }
}

/** Longest a history may take on the wall clock (a stuck one would hold the lane forever). */
const HISTORY_WALL_MS = 180_000;

async function checkHistory(lane: Lane, history: History): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const wall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`history still running after ${HISTORY_WALL_MS / 1000} s of wall time`)), HISTORY_WALL_MS);
  });
  let held = true;
  try {
    const observed = await Promise.race([playHistory(lane, history), wall]);
    held = observed.clockHeld;
    const found = violations(observed);
    if (found.length > 0) throw new Violation(found);
  } finally {
    clearTimeout(timer);
    if (held) await lane.reset();
  }
}

export async function runLane(job: LaneJob, log: (line: string) => void): Promise<LaneReport> {
  const started = Date.now();
  // Quiet: the model's executor hangs and chat outages are retried failures by design.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } } });
  // A held history's abandoned calls keep retrying after its server is replaced; they fail then.
  process.on('uncaughtException', (err) => {
    if (!/Channel has been shut down/.test(err.message)) throw err;
  });
  const lane = new Lane(job.lane, job.workflowCodePath);
  await lane.start();
  let played = 0;
  const trace = process.env.MODEL_TRACE !== undefined;
  const property = fc.asyncProperty(histories, async (history) => {
    const t0 = Date.now();
    await checkHistory(lane, history).catch((err: unknown) => {
      if (trace) log(`lane ${job.lane}: failed: ${(err as Error).message.split('\n')[0]}`);
      throw err;
    }).finally(() => {
      if (trace) log(`lane ${job.lane}: ${Date.now() - t0} ms ${history.steps.map((s) => s.t).join(' ')}${history.scenario.cacheless ? ' (no cache)' : ''}`);
    });
    if (++played % 50 === 0) log(`lane ${job.lane}: ${played} histories played (shrinking included), ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
  const failures: LaneFailure[] = [];
  let done = 0;
  let seed = job.seed;
  try {
    while (done < job.sequences && failures.length < job.maxFailures) {
      const details = await fc.check(property, { numRuns: job.sequences - done, seed, endOnFailure: !job.shrink, ...(job.path ? { path: job.path } : {}) });
      done += details.failed ? details.numRuns : job.sequences - done;
      if (!details.failed) break;
      const error = details.errorInstance;
      const found = error instanceof Violation ? error.found : [{ name: 'harness', found: [String((error as Error | undefined)?.stack ?? error)] }];
      const failure: LaneFailure = {
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        history: fc.stringify(details.counterexample?.[0]),
        found: found.flatMap((v) => v.found.map((f) => `[${v.name}] ${f}`)),
        invariants: found.map((v) => v.name),
      };
      failures.push(failure);
      log(
        [
          `MODEL FAILURE lane=${job.lane} invariants=${failure.invariants.join(',')} seed=${failure.seed} path=${failure.path} (after ${details.numShrinks} shrinks)`,
          `  replay: npm run test:model -- --seed ${failure.seed} --path ${failure.path}${job.replayOptions}`,
          `  history: ${failure.history}`,
          ...failure.found.map((f) => `  ${f}`),
        ].join('\n'),
      );
      if (job.path) break;
      seed = (seed * 31 + 7) | 0;
    }
  } finally {
    await lane.close();
  }
  return { lane: job.lane, sequences: job.path ? 1 : done, failures, seconds: (Date.now() - started) / 1000 };
}

// As a child process of run.ts: the job comes by IPC, the report goes back the same way.
if (require.main === module) {
  process.once('message', (job: LaneJob) => {
    runLane(job, (line) => console.log(line)).then(
      (report) => process.send!(report, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(2);
      },
    );
  });
}
