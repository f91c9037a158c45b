import { createLogger, type Logger } from '../src/logger';
import type { Models } from '../src/models';
import { createConsoleChannel } from './channels/console';
import { createFailoverActivities } from './failover-executor';
import { createIncidentActivities } from './incident-store';
import { createNotifyActivities, type NotificationChannel } from './notify';
import { createRouteDirectoryActivities } from './route-directory';

/** All activities the worker registers, wired with their dependencies (alerts go to the console unless channels are given). */
export function createActivities(deps: { models: Models; logger?: Logger; channels?: NotificationChannel[] }) {
  const logger = deps.logger ?? createLogger();
  const channels = deps.channels ?? [createConsoleChannel({ logger })];
  return {
    ...createRouteDirectoryActivities(deps),
    ...createIncidentActivities(deps),
    ...createNotifyActivities({ ...deps, logger, channels }),
    ...createFailoverActivities({ models: deps.models, logger }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
