import { workflowInfo } from '@temporalio/workflow';
import type { Outage } from './outage';

/** Temporal suggests a new run, or the history is past the input's limit: time to continue as new. */
export function historyIsLong(outage: Pick<Outage, 'input'>): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > (outage.input.historyLimit ?? Infinity);
}
