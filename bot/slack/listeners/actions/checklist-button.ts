import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checklistSummary } from '../../../core/checklist';
import type { ListenerDeps } from '../deps';

/** Checklist on an alert: where the incident's checklists are, and how far they are. */
export function checklistButton(deps: ListenerDeps) {
  return async ({ ack, action, respond }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    try {
      const incidentId = action.value ?? '';
      const channel = await deps.models.SlackIncidentChannel.findById(incidentId, { channelId: 1 }).lean();
      const text = await checklistSummary(deps.models, incidentId, channel?.channelId ? `<#${channel.channelId}>` : undefined);
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    } catch (err) {
      deps.logger.error({ err }, 'checklist button failed');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `StateTrace could not show the checklist: ${(err as Error).message}` });
    }
  };
}
