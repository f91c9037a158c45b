import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Models } from '../models';
import { loadRunbooks } from '../runbooks/load-runbooks';
import { createNotificationChannels } from './notification-channels';

/** The Temporal worker on StateTrace's task queue: the outage workflow and every activity. */
export async function createWorker(deps: { connection: NativeConnection; config: Config; models: Models; logger: Logger }): Promise<Worker> {
  const runbooks = await loadRunbooks();
  const channels = createNotificationChannels({ ...deps, runbooks });
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities: createActivities({ models: deps.models, logger: deps.logger, channels }),
  });
}
