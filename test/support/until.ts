/**
 * Polls `get` until it gives a truthy value, which it returns; after `timeoutMs` it throws,
 * naming `what` (and `context()`, to show what was seen instead).
 */
export async function until<T>(
  what: string,
  get: () => T | Promise<T>,
  timeoutMs: number,
  opts: { everyMs?: number; context?: () => string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${opts.context ? `; ${opts.context()}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
}
