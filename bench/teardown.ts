/**
 * What a benchmark started (servers, testbeds, workers), stopped newest first when it ends,
 * fails or is interrupted. Things are registered as they start, so an interrupt during a start
 * waits for that start to finish and then stops what it made: a testbed being built when the
 * SIGTERM came is still torn down. Once the teardown has begun nothing new may start.
 */
const STEP_LIMIT_MS = 30_000;

export class TeardownBegun extends Error {
  constructor(what: string) {
    super(`not starting ${what}: the benchmark is being torn down`);
  }
}

interface Owned {
  what: string;
  stop(): Promise<void>;
}

export class Teardown {
  private readonly owned: Owned[] = [];
  private readonly byValue = new Map<unknown, Owned>();
  private begun = false;
  private running?: Promise<string[]>;

  /** Starts something and takes ownership of it; resolves with it once started. */
  async own<T>(what: string, start: () => Promise<T>, stop: (started: T) => Promise<void>): Promise<T> {
    if (this.begun) throw new TeardownBegun(what);
    const starting = start();
    let stopping: Promise<void> | undefined;
    const entry: Owned = {
      what,
      // Once: the benchmark may stop it early (release); the teardown then waits for that.
      stop: () =>
        (stopping ??= starting.then(
          (value) => stop(value),
          () => undefined, // it never started: nothing to stop
        )),
    };
    this.owned.push(entry);
    const value = await starting;
    this.byValue.set(value, entry);
    return value;
  }

  /** Stops one owned thing now (e.g. a sweeper before its figures are read); the teardown skips it. */
  async release(value: unknown): Promise<void> {
    const entry = this.byValue.get(value);
    if (!entry) throw new Error('release: not owned by this teardown');
    await entry.stop();
  }

  /** Stops everything owned, newest first, each within 30 s; returns the problems (none: all stopped). Once. */
  run(): Promise<string[]> {
    return (this.running ??= this.stopAll());
  }

  private async stopAll(): Promise<string[]> {
    this.begun = true;
    const problems: string[] = [];
    for (let entry = this.owned.pop(); entry; entry = this.owned.pop()) {
      const problem = await attempt(entry);
      if (problem) problems.push(problem);
    }
    return problems;
  }
}

async function attempt(entry: Owned): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`still stopping after ${STEP_LIMIT_MS / 1000} s`)), STEP_LIMIT_MS)));
    await Promise.race([entry.stop(), limit]);
    return undefined;
  } catch (err) {
    return `${entry.what}: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
