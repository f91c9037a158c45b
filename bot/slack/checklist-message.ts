import type { Models } from '../../src/models';
import { insertOnce } from '../../src/models/insert-once';
import { runbookUrl, type Runbook } from '../../src/runbooks/load-runbooks';
import { renderChecklist, type SlackMessage } from './render/render-slack';

type Deps = { models: Pick<Models, 'RemediationTask'>; runbookBaseUrl?: string };

/** The incident's RemediationTasks of a runbook, one per checklist item (created once, by key). */
export async function ensureRemediationTasks({ models }: Deps, incidentId: string, runbook: Runbook): Promise<void> {
  for (const item of runbook.checklist) {
    await insertOnce(models.RemediationTask, { _id: remediationTaskId(incidentId, runbook.id, item.id), incidentId, runbookId: runbook.id, itemId: item.id, text: item.text, done: false });
  }
}

export const remediationTaskId = (incidentId: string, runbookId: string, itemId: string) => `${incidentId}:${runbookId}:${itemId}`;

/** The checklist message of one runbook in one incident, as it stands now. */
export async function checklistMessage(deps: Deps, incidentId: string, runbook: Runbook): Promise<SlackMessage> {
  const tasks = await deps.models.RemediationTask.find({ incidentId, runbookId: runbook.id }).lean();
  const order = new Map(runbook.checklist.map((c, i) => [c.id, i]));
  tasks.sort((a, b) => (order.get(a.itemId) ?? 0) - (order.get(b.itemId) ?? 0));
  return renderChecklist({
    incidentId,
    runbook: { id: runbook.id, title: runbook.title, url: runbookUrl(runbook.id, deps.runbookBaseUrl) },
    tasks: tasks.map((t) => ({ id: t._id, text: t.text, done: t.done, doneBy: t.doneBy ? (t.doneBy.name ?? t.doneBy.id) : undefined, doneAt: t.doneAt?.toISOString() })),
  });
}
