import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../deps';

/** A press of a button StateTrace does not know (stale or forged): answered, not left to Bolt's bare 404. */
export function unknownButton(deps: ListenerDeps) {
  return async ({ ack, respond, body }: SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    await respond({ response_type: 'ephemeral', replace_original: false, text: 'this button is not StateTrace’s (or no longer works)' }).catch((err: unknown) =>
      deps.logger.warn({ err, user: body.user.id }, 'could not answer an unknown button'),
    );
  };
}
