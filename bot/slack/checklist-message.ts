import { loadChecklist } from '../core/checklist';
import type { Models } from '../../src/models';
import type { Runbook } from '../../src/runbooks/load-runbooks';
import { renderChecklist, type SlackMessage } from './render/render-slack';

/** The checklist message of one runbook in one incident, as it stands now. */
export async function checklistMessage(deps: { models: Pick<Models, 'RemediationTask'>; runbookBaseUrl?: string }, incidentId: string, runbook: Runbook): Promise<SlackMessage> {
  return renderChecklist(await loadChecklist(deps, incidentId, runbook));
}
