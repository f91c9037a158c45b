import { ErrorCode, LogLevel, WebAPIRateLimitedError, WebClient, type WebAPICallResult } from '@slack/web-api';
import type { SlackConfig } from '../../../src/config';

/**
 * The Web API client the notifier uses: no retries of its own and rate limits reported
 * instead of waited out, so a 429 or 5xx reaches the notify activity and Temporal retries
 * (after Retry-After) without a worker sleeping inside an activity.
 */
export function createNotifierSlackClient(config: Pick<SlackConfig, 'botToken' | 'apiUrl'>): WebClient {
  return new RetryAfterClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 8000,
    logLevel: LogLevel.ERROR,
  });
}

/**
 * Slack rate-limits each method for the whole app: after a 429, every notification this
 * process sends holds that method back until Retry-After has passed. Such a call fails at
 * once as rate limited (with the time left), without reaching Slack.
 */
class RetryAfterClient extends WebClient {
  private readonly limitedUntil = new Map<string, number>();

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    const waitMs = (this.limitedUntil.get(method) ?? 0) - Date.now();
    if (waitMs > 0) throw new WebAPIRateLimitedError(Math.ceil(waitMs / 1000));
    try {
      return await super.apiCall(method, options);
    } catch (err) {
      if ((err as { code?: string }).code === ErrorCode.RateLimitedError) this.limitedUntil.set(method, Date.now() + (err as WebAPIRateLimitedError).retryAfter * 1000);
      throw err;
    }
  }
}
