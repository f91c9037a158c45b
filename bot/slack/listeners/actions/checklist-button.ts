import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../deps';

/** Checklist on an alert: where the incident's checklists are, and how far they are; for viewers and up, like every read. */
export function checklistButton(deps: ListenerDeps) {
  return async ({ ack, action, body, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    try {
      const incidentId = action.value ?? '';
      const who = await deps.identities.identify(client, { id: body.user.id, name: body.user.name ?? body.user.username });
      const channel = await deps.models.SlackIncidentChannel.findById(incidentId, { channelId: 1 }).lean();
      const reply = await deps.core.showChecklist({ incidentId, ...who, requestId: `${body.trigger_id}:${action.action_ts}`, ...(channel?.channelId ? { where: `<#${channel.channelId}>` } : {}) });
      await respond({ response_type: 'ephemeral', replace_original: false, text: reply.text });
    } catch (err) {
      deps.logger.error({ err }, 'checklist button failed');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `StateTrace could not show the checklist: ${(err as Error).message}` });
    }
  };
}
