import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import type { SendOutcome } from '../../notify';

/** Thrown by our own steps when another attempt is still setting something up. */
export class DiscordBusyError extends Error {}

/** A @discordjs/rest error as a notification outcome: rate limits (after Retry-After), 5xx, timeouts and network errors are retryable. */
export function discordFailure(err: unknown): SendOutcome {
  if (err instanceof DiscordBusyError) return { ok: false, retryable: true, error: err.message };
  if (err instanceof RateLimitError) {
    const waitMs = Math.max(err.retryAfter, err.timeToReset, 0) || 1000;
    return { ok: false, retryable: true, error: `discord: rate limited on ${err.method.toUpperCase()} ${err.route} (retry after ${waitMs} ms)`, retryAfterMs: waitMs };
  }
  if (err instanceof DiscordAPIError) {
    // 4xx: a refusal no retry changes (Missing Access, Unknown Channel, Invalid Form Body, …); 429s arrive as RateLimitError.
    return { ok: false, retryable: err.status === 429 || err.status >= 500, error: `discord: ${err.message.split('\n').join('; ')} (${err.code}, HTTP ${err.status} on ${err.method.toUpperCase()} ${apiPath(err.url)})` };
  }
  if (err instanceof HTTPError) return { ok: false, retryable: true, error: `discord: HTTP ${err.status} ${err.message} on ${err.method.toUpperCase()} ${apiPath(err.url)}` };
  // Timeouts (AbortError), connection failures, anything unforeseen: worth another attempt.
  return { ok: false, retryable: true, error: `discord: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}` };
}

/**
 * true when Discord certainly did not carry the request out: a rate limit (refused, or
 * never sent) or a 4xx refusal. A 5xx, a timeout or a dropped connection may have been
 * carried out.
 */
export function discordRefused(err: unknown): boolean {
  return err instanceof RateLimitError || (err instanceof DiscordAPIError && err.status < 500);
}

/** `/channels/1/messages` from a request URL (the API base and version dropped). */
function apiPath(url: string): string {
  try {
    return new URL(url).pathname.replace(/^.*?\/v\d+(?=\/)/, '');
  } catch {
    return url;
  }
}
