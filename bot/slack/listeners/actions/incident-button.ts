import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ALERT_BUTTON_COMMANDS, type AlertButton } from '../../../core/command-core';
import type { ListenerDeps } from '../deps';

/** Acknowledge / Fail over / Resolve on an alert: the button's value is the incident id. */
export function incidentButton(deps: ListenerDeps, button: AlertButton) {
  return async ({ ack, action, body, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    try {
      const who = await deps.identities.identify(client, { id: body.user.id, name: body.user.name ?? body.user.username });
      const reply = await deps.core.run({ command: ALERT_BUTTON_COMMANDS[button](action.value ?? ''), ...who, requestId: `${body.trigger_id}:${action.action_ts}`, incidentId: action.value });
      // The alert itself is updated by the notifier as the workflow moves on; this says who did what.
      await respond({ response_type: reply.ephemeral ? 'ephemeral' : 'in_channel', replace_original: false, text: reply.text });
    } catch (err) {
      deps.logger.error({ err, button }, 'button failed');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `StateTrace could not do that: ${(err as Error).message}` });
    }
  };
}
