/**
 * The timing the sweeper's buffered writers share (snapshots, transitions, minute series,
 * status board): `write` every `everyMs`, never two at once, and on stop write until there
 * is nothing left or `timeoutMs` has passed.
 */
export class PeriodicFlush {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.everyMs);
  }

  /** Runs `write` now, or joins the one running. */
  flush(): Promise<void> {
    this.running ??= this.write().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer and flushes until `drained()`; resolves whether it is. */
  async stop(drained: () => boolean, timeoutMs = 10_000): Promise<boolean> {
    clearInterval(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.flush();
      if (drained()) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
