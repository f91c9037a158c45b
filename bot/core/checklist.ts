import type { Models } from '../../src/models';
import { insertOnce } from '../../src/models/insert-once';
import { runbookUrl, type Runbook } from '../../src/runbooks/load-runbooks';

/**
 * Runbook checklists of an incident, platform-neutral: each checklist item is a
 * RemediationTask (created once, by key); adapters render a ChecklistView and complete tasks
 * through the command core.
 */

type Deps = { models: Pick<Models, 'RemediationTask'>; runbookBaseUrl?: string };

export interface ChecklistView {
  incidentId: string;
  runbook: { id: string; title: string; url?: string };
  tasks: { id: string; text: string; done: boolean; doneBy?: string; doneAt?: string }[];
}

export const remediationTaskId = (incidentId: string, runbookId: string, itemId: string) => `${incidentId}:${runbookId}:${itemId}`;

/** The incident's RemediationTasks of a runbook, one per checklist item. */
export async function ensureRemediationTasks({ models }: Deps, incidentId: string, runbook: Runbook): Promise<void> {
  for (const item of runbook.checklist) {
    await insertOnce(models.RemediationTask, { _id: remediationTaskId(incidentId, runbook.id, item.id), incidentId, runbookId: runbook.id, itemId: item.id, text: item.text, done: false });
  }
}

/** One runbook's checklist in one incident as it stands now, in the runbook's order. */
export async function loadChecklist(deps: Deps, incidentId: string, runbook: Runbook): Promise<ChecklistView> {
  const tasks = await deps.models.RemediationTask.find({ incidentId, runbookId: runbook.id }).lean();
  const order = new Map(runbook.checklist.map((c, i) => [c.id, i]));
  tasks.sort((a, b) => (order.get(a.itemId) ?? 0) - (order.get(b.itemId) ?? 0));
  return {
    incidentId,
    runbook: { id: runbook.id, title: runbook.title, url: runbookUrl(runbook.id, deps.runbookBaseUrl) },
    tasks: tasks.map((t) => ({ id: t._id, text: t.text, done: t.done, doneBy: t.doneBy ? (t.doneBy.name ?? t.doneBy.id) : undefined, doneAt: t.doneAt?.toISOString() })),
  };
}

/** The Checklist button's answer: how far the incident's checklists are, item by item (`where`: where they are posted). */
export async function checklistSummary(models: Pick<Models, 'RemediationTask'>, incidentId: string, where?: string): Promise<string> {
  const tasks = await models.RemediationTask.find({ incidentId }).sort({ _id: 1 }).lean();
  if (tasks.length === 0) return `no runbook checklist for ${incidentId}`;
  const done = tasks.filter((t) => t.done).length;
  return `${done} of ${tasks.length} checklist items done for ${incidentId}${where ? `; the checklists are pinned in ${where}` : ''}:\n${tasks.map((t) => `${t.done ? '✅' : '⬜'} ${t.text}`).join('\n')}`;
}
