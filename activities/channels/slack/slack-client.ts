import { LogLevel, WebClient } from '@slack/web-api';
import type { SlackConfig } from '../../../src/config';

/**
 * The Web API client the notifier uses: no retries of its own and rate limits reported
 * instead of waited out, so a 429 or 5xx reaches the notify activity and Temporal retries
 * (after Retry-After) without a worker sleeping inside an activity.
 */
export function createNotifierSlackClient(config: Pick<SlackConfig, 'botToken' | 'apiUrl'>): WebClient {
  return new WebClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 8000,
    logLevel: LogLevel.ERROR,
  });
}
