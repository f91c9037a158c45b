import type { NotificationChannel } from '../../activities/notify';
import { createConsoleChannel } from '../../activities/channels/console';
import { createNotifierSlackClient } from '../../activities/channels/slack/slack-client';
import { createSlackNotifier } from '../../activities/channels/slack/slack-notifier';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Models } from '../models';
import type { RunbookLibrary } from '../runbooks/load-runbooks';

/** The console always; Slack when it is configured. */
export function createNotificationChannels(deps: { config: Config; models: Models; logger: Logger; runbooks: RunbookLibrary }): NotificationChannel[] {
  const { config, logger } = deps;
  const channels = [createConsoleChannel({ logger })];
  if (config.slack) {
    channels.push(
      createSlackNotifier({
        client: createNotifierSlackClient(config.slack),
        models: deps.models,
        runbooks: deps.runbooks,
        runbookBaseUrl: config.runbookBaseUrl,
        privateChannels: config.slack.privateChannels,
        archiveAfterSec: config.slack.archiveAfterSec,
        logger,
      }),
    );
  }
  return channels;
}
