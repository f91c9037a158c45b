import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../deps';

/** Checklist on an alert: where the incident's checklists are, and how far they are. */
export function checklistButton(deps: ListenerDeps) {
  return async ({ ack, action, respond }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    try {
      const incidentId = action.value ?? '';
      const tasks = await deps.models.RemediationTask.find({ incidentId }).lean();
      const channel = await deps.models.SlackIncidentChannel.findById(incidentId, { channelId: 1 }).lean();
      const text = tasks.length
        ? `${tasks.filter((t) => t.done).length} of ${tasks.length} checklist items done for ${incidentId}${channel?.channelId ? `; the checklists are pinned in <#${channel.channelId}>` : ''}:\n${tasks.map((t) => `${t.done ? '✅' : '⬜'} ${t.text}`).join('\n')}`
        : `no runbook checklist for ${incidentId}`;
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    } catch (err) {
      deps.logger.error({ err }, 'checklist button failed');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `StateTrace could not show the checklist: ${(err as Error).message}` });
    }
  };
}
