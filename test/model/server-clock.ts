import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { isCodeFailure } from './runs';

/**
 * Wall time a time jump, an update's acceptance or a query may take before the clock counts as
 * held. Above the longest activity timeout but the executor's (30 s): an activity cut off by a
 * worker restart is waited for until its timeout, and time does not skip while it is outstanding.
 */
const CLOCK_WALL_MS = 45_000;
/** How often a waiting call looks for a workflow task that failed (it would fail again and again). */
const TASK_FAILURE_POLL_MS = 1500;

/**
 * The time-skipping server's clock as one history sees it. The server skips time only while no
 * workflow task or activity is outstanding; a task that fails in the workflow's code is retried
 * again and again and holds the clock for good. Calls that need the clock to move go through
 * `unlessHeld`, which notices that within seconds; the history then ends there.
 */
export class ServerClock {
  held = false;

  constructor(
    private readonly env: TestWorkflowEnvironment,
    private readonly handle: WorkflowHandle,
  ) {}

  now(): Promise<number> {
    return this.env.currentTimeMs();
  }

  /** Lets server time pass (skipped while the workflow is idle). */
  async advance(ms: number): Promise<void> {
    await this.unlessHeld(this.env.sleep(ms));
  }

  /** The call's value, or undefined once the clock is held (the call is left to fail later). */
  async unlessHeld<T>(work: Promise<T>): Promise<T | undefined> {
    if (this.held) return undefined;
    work.catch(() => undefined);
    let settled = false;
    const watch = async (): Promise<'held'> => {
      const until = Date.now() + CLOCK_WALL_MS;
      while (!settled && Date.now() < until) {
        await new Promise((r) => setTimeout(r, TASK_FAILURE_POLL_MS));
        if (!settled && (await this.taskFailed())) break;
      }
      return 'held';
    };
    try {
      const first = await Promise.race([work.then((value) => ({ value })), watch()]);
      if (first !== 'held') return first.value;
      this.held = true;
      return undefined;
    } finally {
      settled = true;
    }
  }

  /** A workflow task of the current run failed in the workflow's code. */
  private async taskFailed(): Promise<boolean> {
    const history = await this.handle.fetchHistory().catch(() => undefined);
    return history?.events?.some((e) => e.workflowTaskFailedEventAttributes && isCodeFailure(e.workflowTaskFailedEventAttributes)) ?? false;
  }
}
