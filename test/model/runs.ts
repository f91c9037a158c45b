import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { OutageState, RouteTransitionSignal } from '../../workflows/messages';
import type { OutageInput } from '../../workflows/outage';

/** One run of an outage workflow id, read back from its history. */
export interface RunRecord {
  runId: string;
  events: number;
  input: OutageInput;
  /** The run this one continued (continueAsNew), if any. */
  continuedFrom?: string;
  /** Transitions it received by signal, with the server time of each signal. */
  received: { signal: RouteTransitionSignal; at: number }[];
  status: 'completed' | 'continued' | 'running' | 'terminated' | 'failed' | 'timed_out' | 'canceled';
  continuedAs?: { runId: string; input: OutageInput };
  result?: OutageState;
  /** Workflow tasks that failed (a nondeterministic replay, an error in workflow code). */
  taskFailures: string[];
  /** Workflow tasks the server timed out: the worker's answer never reached it. */
  taskTimeouts: number;
  /** Where the history of a run with task failures was written (for Worker.runReplayHistory). */
  dumped?: string;
}

/** Histories of runs whose workflow tasks failed, kept to be replayed offline. */
const DUMP_DIR = join(tmpdir(), 'statetrace-model-failures');

const decode = <T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T | undefined => {
  const first = payloads?.payloads?.[0];
  return first ? defaultPayloadConverter.fromPayload<T>(first) : undefined;
};

const msOf = (ts: temporal.api.history.v1.IHistoryEvent['eventTime']): number => Number(ts?.seconds ?? 0) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);

/**
 * A workflow task that failed in the workflow's code (an error it threw, a replay that did not give
 * the same commands). Other causes are the server's own races (a signal or update that arrived as
 * the task completed) and are retried at once.
 */
export function isCodeFailure(failed: temporal.api.history.v1.IWorkflowTaskFailedEventAttributes): boolean {
  return failed.cause === Cause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE || failed.cause === Cause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR;
}

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

/** Reads the given runs and every run they continued as, in the order first seen. */
export async function readRuns(client: Client, workflowId: string, runIds: string[]): Promise<RunRecord[]> {
  const records = new Map<string, RunRecord>();
  const queue = [...runIds];
  while (queue.length > 0) {
    const runId = queue.shift()!;
    if (records.has(runId)) continue;
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const record = readRun(runId, history.events ?? []);
    if (record.taskFailures.length > 0) {
      mkdirSync(DUMP_DIR, { recursive: true });
      record.dumped = join(DUMP_DIR, `${workflowId.replace(/[^\w-]/g, '_')}-${runId}.history.pb`);
      writeFileSync(record.dumped, temporal.api.history.v1.History.encode(history).finish());
    }
    records.set(runId, record);
    if (record.continuedAs) queue.push(record.continuedAs.runId);
  }
  return [...records.values()];
}

function readRun(runId: string, events: temporal.api.history.v1.IHistoryEvent[]): RunRecord {
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const record: RunRecord = {
    runId,
    events: events.length,
    input: decode<OutageInput>(started?.input)!,
    continuedFrom: started?.continuedExecutionRunId || undefined,
    received: [],
    status: 'running',
    taskFailures: [],
    taskTimeouts: 0,
  };
  for (const event of events) {
    const signaled = event.workflowExecutionSignaledEventAttributes;
    if (signaled) {
      const value = decode<RouteTransitionSignal | RouteTransitionSignal[]>(signaled.input);
      for (const signal of Array.isArray(value) ? value : value ? [value] : []) record.received.push({ signal, at: msOf(event.eventTime) });
    }
    if (event.workflowExecutionCompletedEventAttributes) {
      record.status = 'completed';
      record.result = decode<OutageState>(event.workflowExecutionCompletedEventAttributes.result);
    }
    const continued = event.workflowExecutionContinuedAsNewEventAttributes;
    if (continued) {
      record.status = 'continued';
      record.continuedAs = { runId: continued.newExecutionRunId!, input: decode<OutageInput>(continued.input)! };
    }
    const taskFailed = event.workflowTaskFailedEventAttributes;
    if (taskFailed && isCodeFailure(taskFailed)) record.taskFailures.push(taskFailed.failure?.message ?? String(taskFailed.cause));
    if (event.workflowTaskTimedOutEventAttributes) record.taskTimeouts++;
    if (event.workflowExecutionFailedEventAttributes) record.taskFailures.push(`the run failed: ${event.workflowExecutionFailedEventAttributes.failure?.message}`);
    if (event.workflowExecutionTerminatedEventAttributes) record.status = 'terminated';
    if (event.workflowExecutionFailedEventAttributes) record.status = 'failed';
    if (event.workflowExecutionTimedOutEventAttributes) record.status = 'timed_out';
    if (event.workflowExecutionCanceledEventAttributes) record.status = 'canceled';
  }
  return record;
}
