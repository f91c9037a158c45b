import { condition, patched } from '@temporalio/workflow';
import type { Actor, ExecuteFailoverResult, VerifyPathResult } from '../activities/outage-contract';
import type { RouteContext } from '../activities/route-directory';
import { executor, localProbes, probes, store } from './activities';
import { setPhase, writeIncident } from './incident-writer';
import type { FailoverResult, OutageRouteState } from './messages';
import { historyIsLong } from './history-length';
import type { Outage } from './outage';

/** A failed fail-back is attempted again after the failback delay, doubling up to this. */
const MAX_FAILBACK_BACKOFF_MS = 30 * 60_000;

const primaryOf = (ctx: RouteContext) => ctx.paths.find((p) => p.role === 'primary');

/**
 * Off its primary path, or on its way off it: a fail-over running or done, or one that failed
 * after its executor may have moved the route to a backup that did not verify.
 */
export function offPrimary(outage: Outage, r: OutageRouteState): boolean {
  return r.failover === 'running' || r.failover === 'done' || r.activePath !== primaryOf(outage.contexts.get(r.routeId)!)?.id;
}

/**
 * A route whose fail-back loop should be running and is not: failed over and recovered
 * (through its backup) or a person asked to resolve; or left off its primary by a failed
 * fail-over, which must not wait for a recovery the dead backup cannot bring.
 */
export function failbackDue(outage: Outage, r: OutageRouteState): boolean {
  if (outage.failbacks.has(r.routeId)) return false;
  if (r.failover === 'done') return r.health === 'up' || outage.resolvedBy !== undefined;
  return r.failover === 'failed' && offPrimary(outage, r);
}

/**
 * Moves a route to its backups in order: run the executor, then verify the backup with probes;
 * a backup that does not verify is left for the next; when none is left the incident escalates
 * as "failover failed". `tag` names the attempt (`auto-<n>`, or `req-<request id>` for a
 * person's request) and is part of every key: a retry of this attempt runs nothing twice, a
 * new attempt runs again.
 */
export async function failOver(outage: Outage, routeId: string, actor: Actor, tag: string, pathId?: string): Promise<FailoverResult> {
  const route = outage.routes.get(routeId)!;
  const ctx = outage.contexts.get(routeId)!;
  // A fail-back of a route a failed fail-over left off its primary may be running: its outcome is the starting point.
  // (Awaited only then: an await that is not needed would reorder this run's commands against recorded histories.)
  if (outage.failingBack.has(routeId)) await condition(() => !outage.failingBack.has(routeId));
  if (route.failover === 'done') return { result: 'already_failed_over', routeId, pathId: route.activePath, detail: `already on ${route.activePath}` };
  if (route.failover === 'running') {
    await condition(() => route.failover !== 'running');
    const outcome = route.failover as OutageRouteState['failover'];
    return { result: outcome === 'done' ? 'already_failed_over' : 'failed', routeId, pathId: route.activePath, detail: 'another failover was running' };
  }
  // An operator may name the backup to use; otherwise backups are tried in order.
  const backups = ctx.paths.filter((p) => p.role === 'backup' && (pathId === undefined || p.id === pathId));
  if (!ctx.failoverPolicy || backups.length === 0) {
    const named = pathId === undefined ? '' : ` named ${pathId}`;
    return { result: 'no_backup', routeId, detail: `this route has no failover policy or no backup path${named}` };
  }
  // A resend of a person's request that already ran gets that run's answer: its keys must not say something else.
  const once = tag.startsWith('req-') && patched('failover-request-once');
  const ran = once ? route.failoverRequests?.find((r) => r.tag === tag) : undefined;
  if (ran) return { result: ran.result, routeId, pathId: route.activePath, detail: 'this request already ran' };
  route.failover = 'running';
  outage.executing += 1;
  try {
    const result = await tryBackups(outage, route, ctx, actor, tag, backups);
    if (once) route.failoverRequests = [...(route.failoverRequests ?? []).slice(-9), { tag, result: result.result }];
    return result;
  } finally {
    outage.executing -= 1;
  }
}

async function tryBackups(outage: Outage, route: OutageRouteState, ctx: RouteContext, actor: Actor, tag: string, backups: RouteContext['paths']): Promise<FailoverResult> {
  const { routeId } = route;
  const from = route.activePath!;
  // Where the route may be: a backup the executor moved it to (or may have, outcome unknown) even though it did not verify.
  let at = from;
  const incidentId = outage.state.incidentId!;
  await outage.timeline('failover_started', `failover of ${routeId} requested by ${actor.name ?? actor.id}`, { actor, key: `failover_started:${routeId}:${tag}` });
  for (const backup of backups) {
    const run = await executor.executeFailover({
      idempotencyKey: `${incidentId}:failover:${routeId}:${backup.id}:${tag}`,
      incidentId,
      routeId,
      policyId: ctx.failoverPolicy!.id,
      direction: 'failover',
      fromPathId: at,
      toPathId: backup.id,
    });
    const verified = mayHaveWorked(run) ? await probes.verifyPath({ routeId, pathId: backup.id }) : undefined;
    const before = at;
    if (verified && !verified.ok) at = backup.id;
    await store.appendAuditEntry({
      idempotencyKey: `failover:${incidentId}:${routeId}:${backup.id}:${tag}`,
      at: new Date(outage.nowIso()),
      actor,
      action: 'route.failover',
      target: { kind: 'route', id: routeId },
      incidentId,
      routeId,
      outcome: verified?.ok ? 'ok' : 'error',
      reason: verified ? verified.detail : run.detail,
      before: { path: before },
      after: { path: at === before ? before : `${backup.id} (did not verify)` },
    });
    if (verified?.ok) {
      route.failover = 'done';
      route.activePath = backup.id;
      route.waiting = `on ${backup.id}: fails back once its primary has been healthy for ${ctx.failoverPolicy!.failbackDelaySec} s`;
      const at = outage.nowIso();
      // A resolution requested meanwhile stands; the route now fails back before it completes.
      const fields = { failedOverAt: at, activePath: backup.id };
      await Promise.all([
        outage.resolvedBy ? writeIncident(outage, fields) : setPhase(outage, 'failed_over', fields),
        outage.timeline('failed_over', `${routeId} now uses ${backup.id} via ${backup.nextHop} (verified: ${verified.detail})`, { actor, key: `failed_over:${routeId}:${tag}` }),
      ]);
      await outage.notify('failed_over', `${routeId} failed over to ${backup.id} (${backup.nextHop}); verified`, { page: false, key: `${incidentId}:failed_over:${routeId}:${tag}` });
      return { result: 'failed_over', routeId, pathId: backup.id, detail: verified.detail };
    }
    await outage.timeline('failover_attempt_failed', `${routeId} → ${backup.id} did not work: ${verified ? `verification: ${verified.detail}` : run.detail}`, {
      key: `failover_attempt_failed:${routeId}:${backup.id}:${tag}`,
    });
  }
  route.failover = 'failed';
  // Left where the executor put it, the route would stay on a dead backup after its primary heals.
  const stranded = at !== from && patched('failover-strands-route');
  if (stranded) {
    route.activePath = at;
    route.waiting = `may be on ${at}, which did not verify: moved back to the primary once the primary has been healthy for ${ctx.failoverPolicy!.failbackDelaySec} s`;
    await writeIncident(outage, { activePath: at });
  }
  const where = stranded ? `; it may be on ${at}: it is moved back to the primary once the primary is healthy` : '';
  await outage.notify('failover_failed', `failover of ${routeId} failed on every backup path: needs a human (a new failover request tries again)${where}`, { key: `${incidentId}:failover_failed:${routeId}:${tag}` });
  return { result: 'failed', routeId, pathId: stranded ? at : undefined, detail: 'no backup path verified' };
}

/** Starts the fail-back loop of every route whose fail-back is due (failbackDue). */
export function startFailbacks(outage: Outage): void {
  for (const r of outage.routes.values()) {
    if (!failbackDue(outage, r)) continue;
    const loop: Promise<void> = failBack(outage, r.routeId).finally(() => outage.failbacks.delete(r.routeId));
    outage.failbacks.set(r.routeId, loop);
  }
}

/**
 * Returns a failed-over route to its primary once the primary has stayed at or above the
 * failback threshold for the whole failback delay (the delay starts again on any dip),
 * automatically or after approval, per policy. A failed attempt is tried again — a new attempt
 * with its own key — after a backoff (the delay, doubling to 30 min) and the primary healthy
 * for the delay again; a person's `failback` attempts it at once.
 */
async function failBack(outage: Outage, routeId: string): Promise<void> {
  const route = outage.routes.get(routeId)!;
  const ctx = outage.contexts.get(routeId)!;
  const policy = ctx.failoverPolicy!;
  let backoffMs = policy.failbackDelaySec * 1000;
  for (;;) {
    await primaryHealthyForDelay(outage, route, ctx);
    // Not while a person's fail-over of the route runs; its outcome decides what comes next.
    if (route.failover === 'running') await condition(() => route.failover !== 'running');
    let tag = outage.failbackNow.get(routeId);
    // Approval is for leaving a working backup; a route left on one that did not verify just goes back.
    if (tag === undefined && policy.failbackMode === 'approval' && route.failover === 'done' && !outage.resolvedBy) tag = await approval(outage, route, ctx);
    outage.failbackNow.delete(routeId);
    // No executor starts while the run hands over to a new one (the new run starts this loop again).
    await condition(() => !outage.closing && route.failover !== 'running');
    route.failbackAttempts = (route.failbackAttempts ?? 0) + 1;
    if (await attemptFailback(outage, route, ctx, tag ?? `auto-${route.failbackAttempts}`)) return;
    route.failbackHealthySince = undefined;
    route.waiting = `fail-back attempt ${route.failbackAttempts} failed; next attempt once the primary has been healthy for ${policy.failbackDelaySec} s after a ${Math.round(backoffMs / 1000)} s pause, or at once on a failback request`;
    await condition(() => outage.failbackNow.has(routeId), backoffMs);
    backoffMs = Math.min(MAX_FAILBACK_BACKOFF_MS, backoffMs * 2);
  }
}

/**
 * Checks the primary path until it has been healthy for the whole failback delay. While it is
 * down the checks back off (to a minute); once it is healthy they come four times per failback
 * delay: a long outage's history stays short. A person's failback request ends the wait.
 */
async function primaryHealthyForDelay(outage: Outage, route: OutageRouteState, ctx: RouteContext): Promise<void> {
  const policy = ctx.failoverPolicy!;
  const primary = ctx.paths.find((p) => p.role === 'primary')!;
  const delayMs = policy.failbackDelaySec * 1000;
  const firstCheckMs = outage.input.failbackCheckMs ?? 5000;
  const healthyCheckMs = Math.max(firstCheckMs, delayMs / 4);
  let checkMs = firstCheckMs;
  // Carried over a continueAsNew: the healthy streak goes on.
  let healthySince = route.failbackHealthySince ? new Date(route.failbackHealthySince).getTime() : undefined;
  for (;;) {
    if (outage.failbackNow.has(route.routeId)) return;
    // A long history that waits for an executor to end before it continues as new does not grow meanwhile.
    if (outage.checksWaitForCarryOn && outage.executing > 0 && historyIsLong(outage)) await condition(() => outage.executing === 0 || outage.failbackNow.has(route.routeId));
    const check = await checkInTurn(outage, route.routeId, primary.id);
    const now = new Date(outage.nowIso()).getTime();
    if (check.score >= policy.failbackThreshold && check.status !== 'unknown') {
      healthySince ??= now;
      checkMs = Math.min(healthyCheckMs, Math.max(firstCheckMs, healthySince + delayMs - now));
    } else {
      const dipped = healthySince !== undefined;
      if (dipped) await outage.timeline('failback_delay_restarted', `primary of ${route.routeId} dipped (score ${check.score}): failback delay starts again`);
      healthySince = undefined;
      checkMs = dipped ? firstCheckMs : Math.min(60_000, checkMs * 2);
    }
    route.failbackHealthySince = healthySince === undefined ? undefined : new Date(healthySince).toISOString();
    if (healthySince !== undefined && now - healthySince >= delayMs) return;
    const on = route.failover === 'failed' ? `may be on ${route.activePath}, which did not verify` : `on ${route.activePath}`;
    route.waiting = `${on}: ${healthySince === undefined ? `primary ${primary.id} not healthy (${check.detail})` : `primary ${primary.id} healthy since ${route.failbackHealthySince}: fails back after ${policy.failbackDelaySec} s of it`}`;
    outage.state.pendingTimers = [{ name: `failback check of ${route.routeId}`, firesAt: new Date(now + checkMs).toISOString() }];
    await condition(() => outage.failbackNow.has(route.routeId), checkMs);
  }
}

/** Waits for a person to approve (or ask to resolve); returns the tag of a failback request that came instead. */
async function approval(outage: Outage, route: OutageRouteState, ctx: RouteContext): Promise<string | undefined> {
  const { state } = outage;
  const { routeId } = route;
  if (!state.awaitingFailbackApproval.includes(routeId)) state.awaitingFailbackApproval = [...state.awaitingFailbackApproval, routeId];
  route.waiting = 'awaiting fail-back approval (`failback`)';
  const attempt = (route.failbackAttempts ?? 0) + 1;
  await outage.notify('failed_back', `primary of ${routeId} healthy for ${ctx.failoverPolicy!.failbackDelaySec} s: approve the failback`, { key: `${state.incidentId}:failback_approval:${routeId}:${attempt}` });
  await condition(() => outage.failbackApproved.has(routeId) || outage.resolvedBy !== undefined || outage.failbackNow.has(routeId));
  outage.failbackApproved.delete(routeId);
  state.awaitingFailbackApproval = state.awaitingFailbackApproval.filter((r) => r !== routeId);
  return outage.failbackNow.get(routeId);
}

/** One fail-back attempt: executor, then the primary verified. True when the route is back on its primary. */
async function attemptFailback(outage: Outage, route: OutageRouteState, ctx: RouteContext, tag: string): Promise<boolean> {
  const { routeId } = route;
  const primary = ctx.paths.find((p) => p.role === 'primary')!;
  const incidentId = outage.state.incidentId!;
  const from = route.activePath!;
  outage.executing += 1;
  outage.failingBack.add(routeId);
  try {
    const run = await executor.executeFailover({
      idempotencyKey: `${incidentId}:failback:${routeId}:${tag}`,
      incidentId,
      routeId,
      policyId: ctx.failoverPolicy!.id,
      direction: 'failback',
      fromPathId: from,
      toPathId: primary.id,
    });
    const verified = mayHaveWorked(run) ? await probes.verifyPath({ routeId, pathId: primary.id }) : undefined;
    // The executor said it moved the route: on the primary now, verified or not — recorded there, not on the backup it left.
    const onUnverifiedPrimary = run.ok && !verified?.ok && patched('failback-moves-unverified');
    await store.appendAuditEntry({
      idempotencyKey: `failback:${incidentId}:${routeId}:${tag}`,
      at: new Date(outage.nowIso()),
      actor: { platform: 'system', id: 'failover-policy', name: ctx.failoverPolicy!.id },
      action: 'route.failback',
      target: { kind: 'route', id: routeId },
      incidentId,
      routeId,
      outcome: verified?.ok ? 'ok' : 'error',
      reason: verified ? verified.detail : run.detail,
      before: { path: from },
      after: { path: verified?.ok ? primary.id : onUnverifiedPrimary ? `${primary.id} (did not verify)` : from },
    });
    if (onUnverifiedPrimary) return unverifiedOnPrimary(outage, route, primary.id, from, verified!.detail, tag);
    if (!verified?.ok) {
      const first = route.failbackAttempts === 1;
      await outage.timeline('failback_failed', `failback of ${routeId} (attempt ${route.failbackAttempts}) did not verify: ${verified?.detail ?? run.detail}; staying on ${from}`, { key: `failback_failed:${routeId}:${tag}` });
      // Paged once; later failures of the same fail-back are shown, not paged again.
      await outage.notify('failover_failed', `failback of ${routeId} failed: still on ${from}; it is attempted again`, { page: first, key: `${incidentId}:failback_failed:${routeId}:${tag}` });
      return false;
    }
    backOnPrimary(route, primary.id);
    await Promise.all([
      writeIncident(outage, { failedBackAt: outage.nowIso(), activePath: primary.id }),
      outage.timeline('failed_back', `${routeId} back on ${primary.id} via ${primary.nextHop}`, { key: `failed_back:${routeId}:${tag}` }),
    ]);
    await outage.notify('failed_back', `${routeId} is back on its primary path`, { page: false, key: `${incidentId}:failed_back:${routeId}:${tag}` });
    return true;
  } finally {
    outage.executing -= 1;
    outage.failingBack.delete(routeId);
  }
}

/**
 * A fail-back whose executor ran but whose primary did not verify: the route is on the primary,
 * so the fail-back is over and the route counts as back. Its own probes judge the primary from
 * here like any route's (down again: a transition, and an automatic policy fails over anew); a
 * person's `failover` moves it to a backup now. Paged, since the primary may not carry traffic.
 */
async function unverifiedOnPrimary(outage: Outage, route: OutageRouteState, primaryId: string, from: string, detail: string, tag: string): Promise<true> {
  const { routeId } = route;
  const incidentId = outage.state.incidentId!;
  backOnPrimary(route, primaryId);
  const said = `${routeId} was moved from ${from} back to ${primaryId}, which did not verify (${detail})`;
  await Promise.all([
    writeIncident(outage, { failedBackAt: outage.nowIso(), activePath: primaryId }),
    outage.timeline('failback_unverified', `${said}; the route's probes watch it from here`, { key: `failback_unverified:${routeId}:${tag}` }),
  ]);
  await outage.notify('failover_failed', `${said}: check it; \`failover\` moves it to a backup`, { key: `${incidentId}:failback_unverified:${routeId}:${tag}` });
  return true;
}

/** The route's state once a fail-back has moved it to its primary: no fail-over, nothing to wait for. */
function backOnPrimary(route: OutageRouteState, primaryId: string): void {
  route.failover = 'none';
  route.activePath = primaryId;
  route.waiting = undefined;
  route.failbackHealthySince = undefined;
}

/**
 * One failback check (a local activity: one marker, no workflow task of its own). Checks of
 * several routes run at once; two finishing in one workflow task were resolved in the order
 * they finished live but in the order they started in replay, and the routes' next commands
 * swapped (the model test's TMPRL1100 "executeFailover does not match notify", with a worker
 * that caches nothing). So each check's caller goes on only in the order the checks started.
 * Outages that started without this keep going on as their checks finish.
 */
async function checkInTurn(outage: Outage, routeId: string, pathId: string): Promise<VerifyPathResult> {
  if (!patched('failback-checks-in-turn')) return localProbes.verifyPath({ routeId, pathId });
  const ticket = outage.checks.started++;
  try {
    return await localProbes.verifyPath({ routeId, pathId });
  } finally {
    await condition(() => outage.checks.resumed === ticket);
    outage.checks.resumed += 1;
  }
}

/** A run cut off with its worker may have changed the network: the path is probed rather than given up on. */
function mayHaveWorked(run: ExecuteFailoverResult): boolean {
  return run.ok || run.outcomeUnknown === true;
}
