import { ErrorCode } from '@slack/web-api';
import type { SendOutcome } from '../../notify';

/** Slack error codes that mean "try again later", not "this will never work". */
const TRANSIENT_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_is_being_migrated']);

/** Thrown by our own steps when another worker is still setting something up. */
export class SlackBusyError extends Error {}

interface SlackClientError {
  code?: string;
  retryAfter?: number;
  data?: { error?: string };
  message: string;
}

/** A Web API client error as a notification outcome: rate limits and 5xx are retryable, after Retry-After. */
export function slackFailure(err: unknown): SendOutcome {
  if (err instanceof SlackBusyError) return { ok: false, retryable: true, error: err.message };
  const e = err as SlackClientError;
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return { ok: false, retryable: true, error: `rate limited (Retry-After ${e.retryAfter ?? '?'} s)`, retryAfterMs: (e.retryAfter ?? 1) * 1000 };
    case ErrorCode.HTTPError:
    case ErrorCode.RequestError:
      return { ok: false, retryable: true, error: e.message };
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      return { ok: false, retryable: TRANSIENT_PLATFORM_ERRORS.has(code), error: `slack: ${code}` };
    }
    default:
      return { ok: false, retryable: true, error: e.message };
  }
}

/**
 * true when Slack certainly did not carry the call out: a 429 (refused before it was run) or
 * a definite refusal (`channel_not_found`, `is_archived`, …). A 5xx, a timeout or a transient
 * platform error (`internal_error`) may have been carried out in part.
 */
export function slackRefused(err: unknown): boolean {
  const e = err as SlackClientError;
  if (e.code === ErrorCode.RateLimitedError) return true;
  return e.code === ErrorCode.PlatformError && !TRANSIENT_PLATFORM_ERRORS.has(e.data?.error ?? 'unknown_error');
}

/** The Slack error code of a platform error (e.g. `already_in_channel`), else undefined. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as SlackClientError;
  return e.code === ErrorCode.PlatformError ? e.data?.error : undefined;
}
