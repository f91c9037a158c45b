import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseCommand } from '../../../core/parse-command';
import { incidentOfChannel, type ListenerDeps } from '../deps';

/** `/statetrace <command>`: acknowledged at once, answered through the response URL. */
export function statetraceCommand(deps: ListenerDeps) {
  return async ({ ack, command, respond, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    try {
      const parsed = parseCommand(command.text);
      if (!parsed.ok) {
        await respond({ response_type: 'ephemeral', text: parsed.reply });
        return;
      }
      const who = await deps.identities.identify(client, { id: command.user_id, name: command.user_name });
      const reply = await deps.core.run({
        command: parsed.command,
        ...who,
        requestId: command.trigger_id,
        incidentId: await incidentOfChannel(deps, command.channel_id),
      });
      await respond({ response_type: reply.ephemeral ? 'ephemeral' : 'in_channel', text: reply.text });
    } catch (err) {
      deps.logger.error({ err, text: command.text }, 'slash command failed');
      await respond({ response_type: 'ephemeral', text: `StateTrace could not run that: ${(err as Error).message}` });
    }
  };
}
