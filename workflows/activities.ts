/**
 * Activity proxies of the outage workflow, grouped by what failure means for each:
 * probes are short and retried a little; the executor is retried only a few times (it is
 * idempotent, but a failing command should reach a human); notifications never block
 * the workflow for long; storage retries until the database answers.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const probes = proxyActivities<Pick<Activities, 'verifyPath'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

export const executor = proxyActivities<Pick<Activities, 'executeFailover'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
});

export const notifier = proxyActivities<Pick<Activities, 'notify'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

export const store = proxyActivities<Pick<Activities, 'openIncident' | 'updateIncident' | 'appendTimeline' | 'recordResolution' | 'appendAuditEntry' | 'loadRouteContexts'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
