import { condition, patched, sleep } from '@temporalio/workflow';
import type { Actor, ExecuteFailoverResult } from '../../activities/outage-contract';
import { executor, localProbes, probes, store } from '../activities';
import type { FailoverResult, OutageRouteState } from '../messages';
import { carryOn, historyTooLong, type Outage } from './outage-v1';

/**
 * Moves a route to its backups in order: run the executor (idempotent by key), then verify
 * the backup with probes; a backup that does not verify is left for the next; when none
 * is left the incident escalates as "failover failed".
 */
export async function failOver(outage: Outage, routeId: string, actor: Actor, pathId?: string): Promise<FailoverResult> {
  const route = outage.routes.get(routeId)!;
  const ctx = outage.contexts.get(routeId)!;
  const policy = ctx.failoverPolicy;
  if (route.failover === 'done') return { result: 'already_failed_over', routeId, pathId: route.activePath, detail: `already on ${route.activePath}` };
  if (route.failover === 'running') {
    await condition(() => route.failover !== 'running');
    const outcome = route.failover as OutageRouteState['failover'];
    return { result: outcome === 'done' ? 'already_failed_over' : 'failed', routeId, pathId: route.activePath, detail: 'another failover was running' };
  }
  // An operator may name the backup to use; otherwise backups are tried in order.
  const backups = ctx.paths.filter((p) => p.role === 'backup' && (pathId === undefined || p.id === pathId));
  if (!policy || backups.length === 0) {
    const named = pathId === undefined ? '' : ` named ${pathId}`;
    return { result: 'no_backup', routeId, detail: `this route has no failover policy or no backup path${named}` };
  }

  route.failover = 'running';
  const from = route.activePath!;
  const incidentId = outage.state.incidentId!;
  await outage.timeline('failover_started', `failover of ${routeId} requested by ${actor.name ?? actor.id}`, { actor });
  for (const backup of backups) {
    const run = await executor.executeFailover({
      idempotencyKey: `${incidentId}:failover:${routeId}:${backup.id}`,
      incidentId,
      routeId,
      policyId: policy.id,
      direction: 'failover',
      fromPathId: from,
      toPathId: backup.id,
    });
    const verified = runMayHaveWorked(run) ? await probes.verifyPath({ routeId, pathId: backup.id }) : undefined;
    await store.appendAuditEntry({
      idempotencyKey: `failover:${incidentId}:${routeId}:${backup.id}`,
      at: new Date(outage.nowIso()),
      actor,
      action: 'route.failover',
      target: { kind: 'route', id: routeId },
      incidentId,
      routeId,
      outcome: verified?.ok ? 'ok' : 'error',
      reason: verified ? verified.detail : run.detail,
      before: { path: from },
      after: { path: verified?.ok ? backup.id : from },
    });
    if (verified?.ok) {
      route.failover = 'done';
      route.activePath = backup.id;
      // A resolution that arrived while this fail-over was verifying stands: the route moved, the incident stays resolved.
      const resolved = outage.resolvedBy !== undefined || outage.state.phase === 'resolved';
      if (!resolved) outage.state.phase = 'failed_over';
      const at = outage.nowIso();
      await together(
        () => store.updateIncident({ incidentId, set: { ...(resolved ? {} : { state: 'failed_over' as const }), failedOverAt: at, activePath: backup.id } }),
        () => outage.timeline('failed_over', `${routeId} now uses ${backup.id} via ${backup.nextHop} (verified: ${verified.detail})`, { actor, key: `failed_over:${routeId}` }),
      );
      await outage.notify('failed_over', `${routeId} failed over to ${backup.id} (${backup.nextHop}); verified`, { page: false, key: `${incidentId}:failed_over:${routeId}` });
      return { result: 'failed_over', routeId, pathId: backup.id, detail: verified.detail };
    }
    await outage.timeline('failover_attempt_failed', `${routeId} → ${backup.id} did not work: ${verified ? `verification: ${verified.detail}` : run.detail}`, { key: `failover_attempt_failed:${routeId}:${backup.id}` });
  }
  route.failover = 'failed';
  await outage.notify('failover_failed', `failover of ${routeId} failed on every backup path: needs a human`, { key: `${incidentId}:failover_failed:${routeId}` });
  return { result: 'failed', routeId, detail: 'no backup path verified' };
}

/**
 * Returns a failed-over route to its primary once the primary has stayed at or above the
 * failback threshold for the whole failback delay (the delay starts again on any dip),
 * automatically or after approval, per policy.
 */
export async function failBack(outage: Outage, routeId: string): Promise<void> {
  const route = outage.routes.get(routeId)!;
  const ctx = outage.contexts.get(routeId)!;
  const policy = ctx.failoverPolicy!;
  const primary = ctx.paths.find((p) => p.role === 'primary')!;
  // While the primary is down the checks back off (to a minute); once it is healthy they come
  // four times per failback delay. Keeps a long outage's history short.
  const firstCheckMs = outage.input.failbackCheckMs ?? 5000;
  const healthyCheckMs = Math.max(firstCheckMs, (policy.failbackDelaySec * 1000) / 4);
  let checkMs = firstCheckMs;
  const incidentId = outage.state.incidentId!;
  // Carried over a continueAsNew: the healthy streak goes on.
  let healthySince = route.failbackHealthySince ? new Date(route.failbackHealthySince).getTime() : undefined;
  for (;;) {
    if (outage.resolvedBy) return;
    if (historyTooLong(outage)) await carryOn(outage);
    const check = await (patched('local-failback-checks') ? localProbes : probes).verifyPath({ routeId, pathId: primary.id });
    const now = new Date(outage.nowIso()).getTime();
    if (check.score >= policy.failbackThreshold && check.status !== 'unknown') {
      healthySince ??= now;
      checkMs = Math.min(healthyCheckMs, Math.max(firstCheckMs, healthySince + policy.failbackDelaySec * 1000 - now));
    } else {
      const dipped = healthySince !== undefined;
      if (dipped) await outage.timeline('failback_delay_restarted', `primary of ${routeId} dipped (score ${check.score}): failback delay starts again`);
      healthySince = undefined;
      checkMs = dipped ? firstCheckMs : Math.min(60_000, checkMs * 2);
    }
    route.failbackHealthySince = healthySince === undefined ? undefined : new Date(healthySince).toISOString();
    if (healthySince !== undefined && now - healthySince >= policy.failbackDelaySec * 1000) break;
    outage.state.pendingTimers = [{ name: `failback check of ${routeId}`, firesAt: new Date(now + checkMs).toISOString() }];
    await sleep(checkMs);
  }
  if (policy.failbackMode === 'approval') {
    outage.state.awaitingFailbackApproval = [routeId];
    await outage.notify('failed_back', `primary of ${routeId} healthy for ${policy.failbackDelaySec} s: approve the failback`, { key: `${incidentId}:failback_approval:${routeId}` });
    await condition(() => outage.failbackApproved || outage.resolvedBy !== undefined);
    outage.failbackApproved = false;
    if (outage.resolvedBy) return;
  }
  const run = await executor.executeFailover({
    idempotencyKey: `${incidentId}:failback:${routeId}`,
    incidentId,
    routeId,
    policyId: policy.id,
    direction: 'failback',
    fromPathId: route.activePath!,
    toPathId: primary.id,
  });
  const verified = runMayHaveWorked(run) ? await probes.verifyPath({ routeId, pathId: primary.id }) : undefined;
  if (!verified?.ok) {
    await outage.timeline('failback_failed', `failback of ${routeId} did not verify: ${verified?.detail ?? run.detail}; staying on ${route.activePath}`);
    await outage.notify('failover_failed', `failback of ${routeId} failed: still on ${route.activePath}`, { key: `${incidentId}:failback_failed:${routeId}` });
    return;
  }
  route.failover = 'none';
  route.activePath = primary.id;
  await together(
    () => store.updateIncident({ incidentId, set: { failedBackAt: outage.nowIso(), activePath: primary.id, state: 'recovering' } }),
    () => outage.timeline('failed_back', `${routeId} back on ${primary.id} via ${primary.nextHop}`, { key: `failed_back:${routeId}` }),
  );
  await outage.notify('failed_back', `${routeId} is back on its primary path`, { page: false, key: `${incidentId}:failed_back:${routeId}` });
}

/**
 * A run cut off with its worker may have changed the network: the path is probed rather than
 * given up on (histories from before this change gave up, and replay that way).
 */
function runMayHaveWorked(run: ExecuteFailoverResult): boolean {
  return run.ok || (run.outcomeUnknown === true && patched('verify-unknown-outcome'));
}

/**
 * Writes that do not depend on each other (each to its own document), at once: one workflow
 * task instead of one each, which keeps an outage's history short. Histories recorded
 * before this change made them one after the other, and replay that way.
 */
async function together(...writes: (() => Promise<unknown>)[]): Promise<void> {
  if (patched('path-writes-together')) await Promise.all(writes.map((write) => write()));
  else for (const write of writes) await write();
}
