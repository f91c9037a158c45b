import type { WebClient } from '@slack/web-api';
import { createLogger, type Logger } from '../src/logger';
import type { Models } from '../src/models';
import type { OutboundPolicy } from '../src/net/outbound';
import type { PdfRenderer } from '../src/packets/pdf-renderer';
import type { RunbookLibrary } from '../src/runbooks/load-runbooks';
import { createConsoleChannel } from './channels/console';
import { createFailoverActivities } from './failover-executor';
import { createIncidentActivities } from './incident-store';
import { createNotifyActivities, type NotificationChannel } from './notify';
import { createPacketActivities } from './packets';
import { createRouteDirectoryActivities } from './route-directory';

export interface ActivityDeps {
  models: Models;
  runbooks: RunbookLibrary;
  /** Prints incident packets (one warm Chromium per worker). */
  renderer: Pick<PdfRenderer, 'render'>;
  logger?: Logger;
  /** Alerts go to the console unless channels are given. */
  channels?: NotificationChannel[];
  /** Slack's Web API client when Slack is configured (packets are shared in incident channels). */
  slackClient?: WebClient;
  runbookBaseUrl?: string;
  /** STATETRACE_SERIES_FLUSH_SEC of the sweepers, in ms (packet charts). */
  seriesFlushMs?: number;
  /** Packets printed on demand per incident and hour (STATETRACE_PACKETS_PER_HOUR). */
  packetsPerHour?: number;
  /** Where webhook executors may send (STATETRACE_OUTBOUND_ALLOW); public addresses only when absent. */
  outbound?: OutboundPolicy;
}

/** All activities the worker registers, wired with their dependencies. */
export function createActivities(deps: ActivityDeps) {
  const logger = deps.logger ?? createLogger();
  const channels = deps.channels ?? [createConsoleChannel({ logger })];
  return {
    ...createRouteDirectoryActivities(deps),
    ...createIncidentActivities(deps),
    ...createNotifyActivities({ ...deps, logger, channels }),
    ...createFailoverActivities({ models: deps.models, logger, outbound: deps.outbound }),
    ...createPacketActivities({ ...deps, logger, ...(deps.slackClient ? { slack: { client: deps.slackClient } } : {}) }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
