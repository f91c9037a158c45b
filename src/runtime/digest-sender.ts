import { createNotifierSlackClient } from '../../activities/channels/slack/slack-client';
import type { Config } from '../config';
import type { DigestSender } from '../digest';
import type { Logger } from '../logger';

/**
 * Where the daily digest goes (STATETRACE_DIGEST_TARGET): `slack:<channel id>` through the
 * Web API (needs SLACK_BOT_TOKEN), or `console:<name>`, a log line with the whole digest.
 */
export function createDigestSender(config: Config, logger: Logger): DigestSender {
  const [kind, ...rest] = config.digest.target.split(':');
  const target = rest.join(':');
  if (kind === 'slack') {
    if (!config.slack) throw new Error(`STATETRACE_DIGEST_TARGET is ${config.digest.target}, but Slack is not configured (SLACK_BOT_TOKEN)`);
    const client = createNotifierSlackClient(config.slack);
    return async (text, blocks) => {
      await client.chat.postMessage({ channel: target, text, ...(blocks ? { blocks } : {}), unfurl_links: false });
    };
  }
  if (kind === 'console') {
    return (text) => {
      logger.warn({ digest: target }, `daily digest\n${text}`);
      return Promise.resolve();
    };
  }
  throw new Error(`STATETRACE_DIGEST_TARGET must be slack:<channel id> or console:<name>, not ${config.digest.target}`);
}
