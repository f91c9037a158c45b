import type { Activities } from '../../activities';
import type { NotifyInput, VerifyPathResult } from '../../activities/outage-contract';
import type { RouteContext } from '../../activities/route-directory';

/**
 * In-memory activities for workflow tests (time-skipping server): they record every call
 * and answer from a script, so a test can say "the backup verifies, the primary is healthy
 * from minute 3" and count what the workflow did. Keyed effects honour idempotency keys
 * the way the real activities do.
 */
export function routeContext(id: string, over: Partial<RouteContext> = {}): RouteContext {
  return {
    route: { id, name: id, environment: 'test', primary: true, dependencies: [], runbooks: [] },
    paths: [
      { id: 'primary', role: 'primary', nextHop: '198.18.1.2' },
      { id: 'backup-a', role: 'backup', nextHop: '198.18.2.2' },
      { id: 'backup-b', role: 'backup', nextHop: '198.18.3.2' },
    ],
    routeClass: { id: 'core', telemetrySlaSec: 30, thresholds: { latencyMs: 50, lossPct: 2, jitterMs: 10 }, confirm: { attempts: 0, intervalMs: 1000 } },
    owner: { team: 'net', name: 'Net', contact: 'net@example.com', oncall: { slack: [], discord: [] } },
    maintenance: [],
    failoverPolicy: { id: 'auto', mode: 'automatic', failoverThreshold: 50, failbackThreshold: 80, failbackDelaySec: 120, failbackMode: 'automatic' },
    escalationPolicy: {
      id: 'std',
      levels: [
        { afterSec: 0, notify: ['team:net'] },
        { afterSec: 300, notify: ['slack:#noc'] },
        { afterSec: 900, notify: ['discord:oncall'] },
      ],
      repeat: 1,
      repeatEverySec: 600,
    },
    ...over,
  };
}

export type PathScript = (routeId: string, pathId: string, call: number) => VerifyPathResult;

export const up: VerifyPathResult = { ok: true, status: 'up', score: 100, detail: 'replies' };
export const down: VerifyPathResult = { ok: false, status: 'down', score: 0, detail: 'no reply' };

export function fakeActivities(contexts: Record<string, RouteContext>, script: PathScript) {
  const calls = {
    notify: [] as NotifyInput[],
    executeFailover: [] as Parameters<Activities['executeFailover']>[0][],
    verifyPath: [] as Parameters<Activities['verifyPath']>[0][],
    openIncident: [] as Parameters<Activities['openIncident']>[0][],
    updateIncident: [] as Parameters<Activities['updateIncident']>[0][],
    timeline: [] as Parameters<Activities['appendTimeline']>[0][],
    audit: [] as Parameters<Activities['appendAuditEntry']>[0][],
    packets: [] as Parameters<Activities['generateIncidentPacket']>[0][],
  };
  const record = <I, R>(list: I[], input: I, result: R): Promise<R> => {
    list.push(input);
    return Promise.resolve(result);
  };
  const sentKeys = new Set<string>();
  const ranKeys = new Set<string>();
  const pathCalls = new Map<string, number>();
  const activities: Activities = {
    loadRouteContexts: (routeIds) => {
      const unknown = routeIds.filter((id) => !contexts[id]);
      return unknown.length ? Promise.reject(new Error(`unknown route ${unknown.join()}`)) : Promise.resolve(routeIds.map((id) => contexts[id]!));
    },
    appendAuditEntry: (entry) => record(calls.audit, entry, undefined),
    verifyPath: (input) => {
      calls.verifyPath.push(input);
      const key = `${input.routeId}/${input.pathId}`;
      const n = (pathCalls.get(key) ?? 0) + 1;
      pathCalls.set(key, n);
      return Promise.resolve(script(input.routeId, input.pathId, n));
    },
    executeFailover: (input) => {
      const duplicate = ranKeys.has(input.idempotencyKey);
      ranKeys.add(input.idempotencyKey);
      if (!duplicate) calls.executeFailover.push(input);
      return Promise.resolve({ ok: true, detail: 'executed', duplicate });
    },
    notify: (input) => {
      const duplicate = sentKeys.has(input.idempotencyKey);
      sentKeys.add(input.idempotencyKey);
      if (!duplicate) calls.notify.push(input);
      return Promise.resolve({ duplicate, deliveries: [] });
    },
    openIncident: (input) => record(calls.openIncident, input, { created: true }),
    updateIncident: (input) => record(calls.updateIncident, input, { applied: true }),
    appendTimeline: (input) => record(calls.timeline, input, { added: true }),
    recordResolution: () => Promise.resolve({ mttaSec: 60, mttrSec: 600 }),
    generateIncidentPacket: (input) => record(calls.packets, input, { incidentId: input.incidentId, pdfKb: 120, pages: 3 }),
  };
  return { activities, calls };
}
