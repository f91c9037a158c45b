import { defaultPayloadConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { RouteTransitionSignal } from '../../workflows/messages';

/** Every route transition an outage workflow received, in order, from its history (signalWithStart's included). */
export async function signalledTransitions(client: Client, workflowId: string): Promise<RouteTransitionSignal[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    (e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []).flatMap((p) => defaultPayloadConverter.fromPayload<RouteTransitionSignal[]>(p)),
  );
}
