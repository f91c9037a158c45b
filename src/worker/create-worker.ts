import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createNotifierSlackClient } from '../../activities/channels/slack/slack-client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Models } from '../models';
import { createPdfRenderer, type PdfRenderer } from '../packets/pdf-renderer';
import { loadRunbooks } from '../runbooks/load-runbooks';
import { createNotificationChannels } from './notification-channels';

/**
 * The Temporal worker on StateTrace's task queue: the outage and packet workflows and every
 * activity. `renderer`: the caller's PDF renderer (it closes it); otherwise one is made that
 * starts Chromium only when the first packet is printed.
 */
export async function createWorker(deps: { connection: NativeConnection; config: Config; models: Models; logger: Logger; renderer?: PdfRenderer }): Promise<Worker> {
  const runbooks = await loadRunbooks();
  const slackClient = deps.config.slack ? createNotifierSlackClient(deps.config.slack) : undefined;
  const channels = createNotificationChannels({ ...deps, runbooks, slackClient });
  const renderer = deps.renderer ?? createPdfRenderer({ executablePath: deps.config.chromiumPath, user: deps.config.pdfUser, logger: deps.logger });
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities: createActivities({ models: deps.models, logger: deps.logger, channels, runbooks, renderer, slackClient, runbookBaseUrl: deps.config.runbookBaseUrl, seriesFlushMs: deps.config.sweeper.seriesFlushMs, outbound: deps.config.outbound, packetsPerHour: deps.config.packetsPerHour }),
  });
}
