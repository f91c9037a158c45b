import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Config } from '../config';
import type { Models } from '../models';

/** The Temporal worker on StateTrace's task queue, with every activity wired. */
export function createWorker(deps: { connection: NativeConnection; config: Config; models: Models }): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    activities: createActivities({ models: deps.models }),
  });
}
