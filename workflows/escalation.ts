import { condition, patched, sleep } from '@temporalio/workflow';
import { holdingCarryOn } from './carry-on-hold';
import type { Outage } from './outage';

/**
 * Walks the escalation policy of the first route with durable timers until someone
 * acknowledges (or the outage ends): each level fires `afterSec` after the incident opened,
 * then the last level repeats `repeat` times every `repeatEverySec`. No policy: the opening
 * notification is the only page.
 */
export async function runEscalation(outage: Outage): Promise<void> {
  const { state } = outage;
  const policy = [...outage.contexts.values()][0]?.escalationPolicy;
  if (!policy) return;
  const stop = () => state.acknowledgedBy !== undefined || outage.resolvedBy !== undefined || state.phase === 'resolved';
  const openedAt = new Date(state.openedAt ?? outage.nowIso()).getTime();
  // A first level at 0 s is the opening page itself (outage.ts sends it there).
  const steps = [
    ...policy.levels.flatMap((level, i) => (level.afterSec === 0 ? [] : [{ level: i, atMs: level.afterSec * 1000, notify: level.notify }])),
    ...Array.from({ length: policy.repeat }, (_, r) => {
      const last = policy.levels.length - 1;
      return { level: last, atMs: policy.levels[last]!.afterSec * 1000 + (r + 1) * policy.repeatEverySec * 1000, notify: policy.levels[last]!.notify };
    }),
  ];
  for (const [n, step] of steps.entries()) {
    if (n < state.escalationStep) continue; // already fired before a continueAsNew
    const waitMs = Math.max(0, openedAt + step.atMs - new Date(outage.nowIso()).getTime());
    state.pendingTimers = [{ name: `escalation level ${step.level + 1}`, firesAt: new Date(openedAt + step.atMs).toISOString() }];
    if (await stoppedWithin(stop, waitMs)) break;
    state.escalationLevel = step.level + 1;
    const fire = async () => {
      await outage.timeline('escalated', `escalation level ${step.level + 1}: ${step.notify.join(', ')}`, { key: `escalated:${n}` });
      await outage.notify('escalated', `not acknowledged: escalation level ${step.level + 1}`, { targets: step.notify, key: `${state.incidentId}:escalated:${n}` });
      // Counted once the page is on its way: a run continued as new before that fires this step again (same keys).
      state.escalationStep = n + 1;
    };
    await (patched('escalation-step-holds-carry-on') ? holdingCarryOn(outage, fire) : fire());
  }
  state.pendingTimers = [];
}

/**
 * Waits until `stop()` or `ms` have passed; true when stopped. The timer of a stopped wait is
 * left to fire unheeded rather than cancelled: an acknowledgement or resolution wakes this
 * and the main loop in one activation, and the order of a cancellation against the main
 * loop's first activity then differed between the live task and its replay (the model test's
 * TMPRL1100 "Activity machine does not handle TimerCanceled", reproduced from its history).
 * Outages that started cancelling keep doing so.
 */
function stoppedWithin(stop: () => boolean, ms: number): Promise<boolean> {
  if (!patched('escalation-timer-not-cancelled')) return condition(stop, ms);
  return Promise.race([condition(stop).then(() => true), sleep(ms).then(() => false)]);
}
