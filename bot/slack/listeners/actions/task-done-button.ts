import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { checklistMessage } from '../../checklist-message';
import type { ListenerDeps } from '../deps';

/** Done on a checklist item: completes the RemediationTask, then redraws the checklist in place. */
export function taskDoneButton(deps: ListenerDeps) {
  return async ({ ack, action, body, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    try {
      const who = await deps.identities.identify(client, { id: body.user.id, name: body.user.name ?? body.user.username });
      const reply = await deps.core.completeTask({ taskId: action.value ?? '', ...who, requestId: `${body.trigger_id}:${action.action_ts}` });
      const task = reply.ok ? await deps.models.RemediationTask.findById(action.value).lean() : null;
      const runbook = task ? deps.runbooks.get(task.runbookId) : undefined;
      if (task && runbook && body.container.message_ts && body.channel?.id) {
        const message = await checklistMessage({ models: deps.models, runbookBaseUrl: deps.runbookBaseUrl }, task.incidentId, runbook);
        await client.chat.update({ channel: body.channel.id, ts: body.container.message_ts as string, text: message.text, blocks: message.blocks });
      }
      if (!reply.ok || reply.ephemeral) await respond({ response_type: 'ephemeral', replace_original: false, text: reply.text });
    } catch (err) {
      deps.logger.error({ err }, 'checklist item button failed');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `StateTrace could not record that: ${(err as Error).message}` });
    }
  };
}
