import type { App } from '@slack/bolt';
import { ACTION_IDS } from '../render/render-slack';
import { checklistButton } from './actions/checklist-button';
import { incidentButton } from './actions/incident-button';
import { taskDoneButton } from './actions/task-done-button';
import { unknownButton } from './actions/unknown-button';
import { statetraceCommand } from './commands/statetrace-command';
import type { ListenerDeps } from './deps';

/** Maps Slack's ids to the listeners; nothing else. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command('/statetrace', statetraceCommand(deps));
  app.action(ACTION_IDS.ack, incidentButton(deps, 'ack'));
  app.action(ACTION_IDS.failover, incidentButton(deps, 'failover'));
  app.action(ACTION_IDS.resolve, incidentButton(deps, 'resolve'));
  app.action(ACTION_IDS.checklist, checklistButton(deps));
  app.action(ACTION_IDS.taskDone, taskDoneButton(deps));
  app.action(new RegExp(`^(?!(?:${Object.values(ACTION_IDS).join('|')})$)`), unknownButton(deps));
}
