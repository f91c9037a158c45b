import type { Models } from '../../../src/models';
import type { Logger } from '../../../src/logger';
import type { RunbookLibrary } from '../../../src/runbooks/load-runbooks';
import type { CommandCore } from '../../core/command-core';
import type { SlackIdentities } from '../identity';

/** What every Slack listener gets: the command core and who is asking; nothing else decides. */
export interface ListenerDeps {
  core: CommandCore;
  identities: SlackIdentities;
  /** For the channel → incident lookup and re-rendering a checklist after a task is done. */
  models: Pick<Models, 'SlackIncidentChannel' | 'RemediationTask'>;
  runbooks: Pick<RunbookLibrary, 'get'>;
  runbookBaseUrl?: string;
  logger: Logger;
}

/** The incident whose channel this is, if it is one. */
export async function incidentOfChannel(deps: ListenerDeps, channelId: string | undefined): Promise<string | undefined> {
  if (!channelId) return undefined;
  return (await deps.models.SlackIncidentChannel.findOne({ channelId }, { _id: 1 }).lean())?._id;
}
