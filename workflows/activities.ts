/**
 * Activity proxies of the outage workflow, grouped by what failure means for each:
 * probes are short and retried a little; the executor is retried only a few times (it is
 * idempotent, but a failing command should reach a human); notifications never block
 * the workflow for long; storage retries until the database answers.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const probes = proxyActivities<Pick<Activities, 'verifyPath'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/**
 * The same probe as a local activity, for the repeated failback checks: it runs inside the
 * workflow task and leaves one marker instead of three activity events and a workflow task
 * of its own (a check is a few pings; far below the workflow task timeout).
 */
export const localProbes = proxyLocalActivities<Pick<Activities, 'verifyPath'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

export const executor = proxyActivities<Pick<Activities, 'executeFailover'>>({
  startToCloseTimeout: '11 minutes', // the longest executor timeout (600 s) and the wait for a twin's outcome
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
});

export const notifier = proxyActivities<Pick<Activities, 'notify'>>({
  // Short: a worker that died mid-send is retried (without resending what was delivered) quickly.
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

export const store = proxyActivities<Pick<Activities, 'openIncident' | 'updateIncident' | 'appendTimeline' | 'recordResolution' | 'appendAuditEntry' | 'loadRouteContexts'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export const packets = proxyActivities<Pick<Activities, 'generateIncidentPacket'>>({
  // Printing takes a second or two; a stuck Chromium is noticed through the heartbeat.
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
});
