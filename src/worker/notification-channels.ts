import type { WebClient } from '@slack/web-api';
import type { NotificationChannel } from '../../activities/notify';
import { createConsoleChannel } from '../../activities/channels/console';
import { createDiscordRest } from '../../activities/channels/discord/discord-client';
import { createDiscordNotifier } from '../../activities/channels/discord/discord-notifier';
import { createSlackNotifier } from '../../activities/channels/slack/slack-notifier';
import { createWebhookChannel } from '../../activities/channels/webhook/webhook-channel';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Models } from '../models';
import type { RunbookLibrary } from '../runbooks/load-runbooks';

/** The console and outbound webhooks always; Slack when it is configured (with the notifier's Web API client); Discord when it is configured. */
export function createNotificationChannels(deps: { config: Config; models: Models; logger: Logger; runbooks: RunbookLibrary; slackClient?: WebClient }): NotificationChannel[] {
  const { config, logger } = deps;
  const channels = [createConsoleChannel({ logger }), createWebhookChannel({ models: deps.models, maxAttempts: config.webhooks.maxAttempts, outbound: config.outbound })];
  if (config.slack && deps.slackClient) {
    channels.push(
      createSlackNotifier({
        client: deps.slackClient,
        models: deps.models,
        runbooks: deps.runbooks,
        runbookBaseUrl: config.runbookBaseUrl,
        privateChannels: config.slack.privateChannels,
        archiveAfterSec: config.slack.archiveAfterSec,
        logger,
      }),
    );
  }
  if (config.discord) {
    channels.push(
      createDiscordNotifier({
        rest: createDiscordRest(config.discord),
        models: deps.models,
        runbooks: deps.runbooks,
        runbookBaseUrl: config.runbookBaseUrl,
        config: config.discord,
        logger,
      }),
    );
  }
  return channels;
}
