import { REST } from 'discord.js';
import type { DiscordConfig } from '../../../src/config';

/**
 * The REST client the notifier uses: no retries of its own, every rate limit thrown as a
 * RateLimitError instead of waited out, so a 429 or 5xx reaches the notify activity and
 * Temporal retries (after Retry-After) without a worker sleeping inside an activity.
 * `offset: 0`: Retry-After as Discord states it (the client would add 50 ms for its own waits).
 */
export function createDiscordRest(config: Pick<DiscordConfig, 'botToken' | 'apiUrl'>): REST {
  return new REST({ api: config.apiUrl, retries: 0, rejectOnRateLimit: () => true, timeout: 15_000, offset: 0 }).setToken(config.botToken);
}
