import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Command } from '../../../core/parse-command';
import type { ListenerDeps } from '../deps';

const COMMANDS = {
  incident_ack: (incidentId: string): Command => ({ name: 'ack', incidentId }),
  incident_failover: (): Command => ({ name: 'failover' }),
  incident_resolve: (): Command => ({ name: 'resolve', note: 'resolved from the alert' }),
} as const;

/** Acknowledge / Fail over / Resolve on an alert: the button's value is the incident id. */
export function incidentButton(deps: ListenerDeps, actionId: keyof typeof COMMANDS) {
  return async ({ ack, action, body, respond, client }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    try {
      const who = await deps.identities.identify(client, { id: body.user.id, name: body.user.name ?? body.user.username });
      const reply = await deps.core.run({ command: COMMANDS[actionId](action.value ?? ''), ...who, requestId: `${body.trigger_id}:${action.action_ts}`, incidentId: action.value });
      // The alert itself is updated by the notifier as the workflow moves on; this says who did what.
      await respond({ response_type: reply.ephemeral ? 'ephemeral' : 'in_channel', replace_original: false, text: reply.text });
    } catch (err) {
      deps.logger.error({ err, actionId }, 'button failed');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `StateTrace could not do that: ${(err as Error).message}` });
    }
  };
}
