import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger';

export interface OrderedOutboxOptions<T> {
  /** Names the outbox in logs. */
  name: string;
  /** Delivers one batch (the oldest items of one key, in order). */
  send(key: string, items: T[]): Promise<void>;
  /** A failure worth retrying (the server away); any other failure drops the batch. */
  retryable(err: unknown): boolean;
  logger: Logger;
  /** How long the first item of a key waits for others to travel with it. */
  gatherMs: number;
  maxBatch: number;
  /** Items held for one key at most; beyond it the oldest waiting ones are dropped (logged). */
  maxHeldPerKey: number;
  /** Retries back off from 500 ms to this. */
  retryMaxMs: number;
}

interface Queue<T> {
  items: T[];
  /** The first `sending` items are the batch being sent or retried: the bound never drops them. */
  sending: number;
}

/**
 * Per-key queues delivered in order, one batch at a time. A send that fails in a retryable
 * way is retried with backoff until it goes through; what arrives meanwhile waits behind it
 * and travels in the next batch, so a key's items are never reordered or skipped. The
 * outage (first failure, recovery) is logged once, not per retry. Held items live in memory:
 * a process that stops (or crashes) before the server is back loses them — stop() says how many.
 */
export class OrderedOutbox<T> {
  private readonly queues = new Map<string, Queue<T>>();
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private failingSince: number | undefined;
  private dropped = 0;

  constructor(private readonly opts: OrderedOutboxOptions<T>) {}

  add(key: string, item: T): void {
    if (this.stopping.signal.aborted) return;
    const queue = this.queues.get(key);
    if (!queue) {
      this.queues.set(key, { items: [item], sending: 0 });
      const run: Promise<void> = this.deliver(key).finally(() => this.running.delete(run));
      this.running.add(run);
      return;
    }
    queue.items.push(item);
    const excess = queue.items.length - this.opts.maxHeldPerKey;
    if (excess > 0) {
      queue.items.splice(queue.sending, excess);
      const before = this.dropped;
      this.dropped += excess;
      if (before === 0 || Math.floor(before / 100) < Math.floor(this.dropped / 100)) this.opts.logger.error({ outbox: this.opts.name, key, dropped: this.dropped }, 'too many undelivered items held: dropped the oldest');
    }
  }

  /** Items not delivered yet, over all keys. */
  get held(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.items.length;
    return n;
  }

  /** Gives deliveries under way up to `timeoutMs` to finish; what is still held then is given up (logged). */
  async stop(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0 && Date.now() < deadline) await Promise.race([Promise.all(this.running), sleep(100)]);
    const left = this.held;
    this.stopping.abort();
    this.queues.clear();
    if (left > 0) this.opts.logger.error({ outbox: this.opts.name, undelivered: left }, 'stopped with items not delivered');
  }

  private async deliver(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    try {
      if (!(await this.pause(this.opts.gatherMs))) return;
      for (let failures = 0; queue.items.length > 0; ) {
        const batch = queue.items.slice(0, this.opts.maxBatch);
        queue.sending = batch.length;
        try {
          await this.opts.send(key, batch);
          failures = 0;
          this.recovered();
        } catch (err) {
          if (this.stopping.signal.aborted) return;
          if (this.opts.retryable(err)) {
            // The batch stays at the head (and out of reach of the bound) until it goes through.
            failures += 1;
            this.failing(err, key);
            if (!(await this.pause(Math.min(this.opts.retryMaxMs, 500 * 2 ** (failures - 1))))) return;
            continue;
          }
          this.opts.logger.error({ outbox: this.opts.name, err, key, items: batch.length }, 'delivery failed for good: dropped');
        }
        queue.items.splice(0, batch.length);
        queue.sending = 0;
      }
    } finally {
      if (this.queues.get(key) === queue) this.queues.delete(key);
    }
  }

  /** Resolves false when stop() cut the pause short. */
  private pause(ms: number): Promise<boolean> {
    return sleep(ms, true, { signal: this.stopping.signal }).catch(() => false);
  }

  private failing(err: unknown, key: string): void {
    if (this.failingSince !== undefined) return;
    this.failingSince = Date.now();
    this.opts.logger.warn({ outbox: this.opts.name, err: (err as Error).message, key }, 'cannot deliver: holding items in order and retrying until it works');
  }

  private recovered(): void {
    if (this.failingSince === undefined) return;
    this.opts.logger.info({ outbox: this.opts.name, unreachableMs: Date.now() - this.failingSince, stillHeld: this.held }, 'delivering again: held items are going out in order');
    this.failingSince = undefined;
  }
}
