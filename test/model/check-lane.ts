import fc from 'fast-check';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { playHistory, type Observation, type Progress } from './drive';
import { violations } from './invariants';
import { Lane } from './lane';
import { histories, type History } from './sequence';

/**
 * One lane of `npm run test:model` in its own process: a time-skipping server, its workers,
 * and fast-check running this lane's share of the histories from the lane's seed. After a
 * failing history (shrunk, printed) the lane goes on from the next seed, so one defect does
 * not hide the rest of the run; it stops after `maxFailures`. Or it plays the histories of
 * `replays` (one failure to replay, or the histories that found defects), each as one run.
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
  /** Histories to play again (a seed with a fast-check path each) instead of generating. */
  replays?: Replay[];
}

/** A generated history named by its seed and fast-check path (as a failure prints them), or given as it was generated. */
export interface Replay {
  seed: number;
  path: string;
  history?: History;
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
  /** Histories (shrinking included) that held the clock or stalled once and were played again. */
  playedAgain: number;
}

/** A history that fails an invariant; its message lists what each one found. */
class Violation extends Error {
  constructor(readonly found: { name: string; found: string[] }[]) {
    super(found.map((v) => v.found.map((f) => `[${v.name}] ${f}`).join('\n')).join('\n'));
  }
}

/** Longest a history may take on the wall clock (a stuck one would hold the lane forever). */
const HISTORY_WALL_MS = 180_000;

/** A history that did not finish within its wall time; says what it was doing. */
class WallStall extends Error {}

/** Plays of one history at most: the first and two more after a hold or stall (see checkHistory). */
const PLAYS = 3;

/**
 * Checks one history. A history that held the server clock although no workflow task failed in
 * the workflow's code is played again on a fresh server: on the time-skipping test server a
 * cacheless worker's answers to concurrent updates are sometimes lost (the task times out after
 * 10 s of wall time, again and again; see docs/outage-lifecycle.md). So is one that stalled on the
 * wall clock: every call the harness makes that waits on the workflow is bounded by the held-clock
 * watch, so a stall is a call to the server that never came back (the server resetting a stream,
 * HeaderListSizeException, or its connection refusing the client's keep-alive pings). Both come
 * more often the busier the machine (4 lanes on 2 cores: about 1 history in 450, and one held
 * twice in 4,000, passing 3 of 3 plays alone). Everything in a history is deterministic except that
 * scheduling, so a hold or stall in each of `PLAYS` plays is a failure like any other, and the
 * history is judged by its last play.
 */
async function checkHistory(lane: Lane, history: History, log: (line: string) => void): Promise<'passed' | 'passed-when-played-again'> {
  for (let play = 1; ; play++) {
    const again = play < PLAYS ? '; playing it again on a fresh server' : '';
    let observed: Observation;
    try {
      observed = await observe(lane, history);
    } catch (err) {
      if (!(err instanceof WallStall) || !again) throw err;
      log(`lane ${lane.id}: ${err.message}${again}`);
      continue;
    }
    if (again && observed.clockHeld && !observed.runs.some((r) => r.taskFailures.length > 0)) {
      const timeouts = observed.runs.reduce((n, r) => n + r.taskTimeouts, 0);
      log(`lane ${lane.id}: a history held the server clock with no workflow task failing in code (${timeouts} workflow tasks timed out)${again}`);
      continue;
    }
    const found = violations(observed);
    if (found.length > 0) throw new Violation(found);
    return play === 1 ? 'passed' : 'passed-when-played-again';
  }
}

/** Plays a history within its wall time; a fresh server and workers after one that held the clock or stalled. */
async function observe(lane: Lane, history: History): Promise<Observation> {
  let timer: NodeJS.Timeout | undefined;
  const progress: Progress = { doing: 'starting' };
  const wall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WallStall(`a history was still running after ${HISTORY_WALL_MS / 1000} s of wall time, at ${progress.doing}`)), HISTORY_WALL_MS);
  });
  let held = true;
  try {
    const observed = await Promise.race([playHistory(lane, history, progress), wall]);
    held = observed.clockHeld;
    return observed;
  } finally {
    clearTimeout(timer);
    if (held) await lane.reset();
  }
}

export async function runLane(job: LaneJob, log: (line: string) => void): Promise<LaneReport> {
  const started = Date.now();
  // Quiet: the model's executor hangs and chat outages are retried failures by design.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } } });
  // A held history's abandoned calls keep retrying after its server is replaced, and the client
  // polls on for an update a server dropped with a timed-out task: they fail then, outside any
  // history (the histories are judged by their invariants).
  process.on('uncaughtException', (err) => {
    if (/Channel has been shut down/.test(err.message)) return;
    if (err.name === 'WorkflowNotFoundError' && /^update .* not found$/.test(err.message)) {
      log(`lane ${job.lane}: an abandoned call failed: ${err.message}`);
      return;
    }
    throw err;
  });
  const lane = new Lane(job.lane, job.workflowCodePath);
  await lane.start();
  let played = 0;
  let playedAgain = 0;
  const trace = process.env.MODEL_TRACE !== undefined;
  const play = async (history: History) => {
    const t0 = Date.now();
    const outcome = await checkHistory(lane, history, log).catch((err: unknown) => {
      if (trace) log(`lane ${job.lane}: failed: ${(err as Error).message.split('\n')[0]}`);
      throw err;
    }).finally(() => {
      if (trace) log(`lane ${job.lane}: ${Date.now() - t0} ms ${history.steps.map((s) => s.t).join(' ')}${history.scenario.cacheless ? ' (no cache)' : ''}`);
    });
    if (outcome === 'passed-when-played-again') playedAgain++;
    if (++played % 50 === 0) log(`lane ${job.lane}: ${played} histories played (shrinking included), ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };
  const property = fc.asyncProperty(histories, play);
  const failures: LaneFailure[] = [];
  const report = (seed: number, path: string, history: History | undefined, error: unknown, shrinks: number) => {
    const found = error instanceof Violation ? error.found : [{ name: 'harness', found: [String((error as Error | undefined)?.stack ?? error)] }];
    const failure: LaneFailure = {
      seed,
      path,
      history: fc.stringify(history),
      found: found.flatMap((v) => v.found.map((f) => `[${v.name}] ${f}`)),
      invariants: found.map((v) => v.name),
    };
    failures.push(failure);
    log(
      [
        `MODEL FAILURE lane=${job.lane} invariants=${failure.invariants.join(',')} seed=${failure.seed} path=${failure.path} (after ${shrinks} shrinks)`,
        `  replay: npm run test:model -- --seed ${failure.seed} --path ${failure.path}${job.replayOptions}`,
        `  history: ${failure.history}`,
        ...failure.found.map((f) => `  ${f}`),
      ].join('\n'),
    );
  };
  const reportRun = (details: fc.RunDetails<[History]>) => report(details.seed, details.counterexamplePath ?? '', details.counterexample?.[0], details.errorInstance, details.numShrinks);
  let done = 0;
  try {
    if (job.replays) {
      for (const { seed, path, history } of job.replays) {
        done++;
        if (history) {
          await play(history).catch((err: unknown) => report(seed, path, history, err, 0));
          continue;
        }
        const details = await fc.check(property, { numRuns: 1, seed, path, endOnFailure: !job.shrink });
        if (details.failed) reportRun(details);
      }
    } else {
      let seed = job.seed;
      while (done < job.sequences && failures.length < job.maxFailures) {
        const details = await fc.check(property, { numRuns: job.sequences - done, seed, endOnFailure: !job.shrink });
        done += details.failed ? details.numRuns : job.sequences - done;
        if (!details.failed) break;
        reportRun(details);
        seed = (seed * 31 + 7) | 0;
      }
    }
  } finally {
    await lane.close();
  }
  return { lane: job.lane, sequences: done, failures, seconds: (Date.now() - started) / 1000, playedAgain };
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
