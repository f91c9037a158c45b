import type { OutageState } from '../../workflows/messages';
import type { Observation, RequestRecord, SentTransition } from './drive';
import { requestKey } from './operator';
import { OPENING_KINDS, STATUS_OF, type TransitionKind } from './sequence';
import type { ExecutorRun, IncidentDoc } from './world';

/**
 * The invariants of docs/outage-lifecycle.md (a–h), plus r (every workflow task completes),
 * each a named check over one played history. A check returns what it found wrong, in words.
 */
export interface Invariant {
  name: string;
  says: string;
  check(o: Observation): string[];
}

const OPENING_NOTICES = new Set(['opened', 'flapping', 'telemetry_gap']);
const CLOSED = new Set(['resolved', 'closed_transient']);
/** Temporal's own history warning threshold, for runs without a configured limit. */
const TEMPORAL_HISTORY_WARNING = 10_240;
/**
 * Events a run may add past its limit before it can continue as new: the work between two looks
 * at the limit. The largest measured is opening a 5-route outage with fail-overs and pages before
 * the first look (about 230 events over a limit of 80); what this catches is a run that keeps
 * growing.
 */
const HISTORY_SLACK = 250;

const incidents = (o: Observation) => [...o.world.incidents.values()];
const describe = (t: SentTransition) => `${t.signal.kind} of ${t.signal.routeId} at step ${t.step} (${t.signal.at})`;

/**
 * When the run holding it received the transition (server time), else when it was sent; never
 * before its own `at`. A batch's transitions are stamped its send time + 0, 1, 2… ms, so a batch
 * can be received a ms or two before its later stamps, and an outage opened by one of them is
 * detected at that one's stamp: the others of the batch belong to it (seed 1368571832 path 631,
 * received in the millisecond of the batch's first stamp, was read as lost).
 */
function receivedAt(o: Observation, t: SentTransition): number {
  for (const run of o.runs) {
    const got = run.received.find((r) => r.signal.at === t.signal.at && r.signal.routeId === t.signal.routeId);
    if (got) return Math.max(got.at, t.at);
  }
  return t.at;
}

/** A `down` whose confirmation found the route working: the trigger of an incident closed as transient. */
function dismissedBy(o: Observation, t: SentTransition): IncidentDoc | undefined {
  return incidents(o).find((i) => i.state === 'closed_transient' && i.detectedAt === t.at && i.routes[0] === t.signal.routeId);
}

/** Incidents a transition belongs to: the one it opened, else those open (detect to resolution) with its route when it arrived. */
function covering(o: Observation, t: SentTransition): IncidentDoc[] {
  const live = incidents(o).filter((i) => i.state !== 'closed_transient');
  const opened = live.filter((i) => i.detectedAt === t.at && i.routes[0] === t.signal.routeId);
  if (opened.length > 0) return opened;
  const at = receivedAt(o, t);
  return live.filter((i) => i.routes.includes(t.signal.routeId) && i.detectedAt <= at && at <= endOf(i));
}

function endOf(i: IncidentDoc): number {
  if (i.resolvedAt) return Date.parse(i.resolvedAt);
  return i.closedAt ?? Infinity;
}

const paged = (o: Observation, incidentId: string) =>
  o.world.notifyCalls.some((c) => c.input.incidentId === incidentId && c.input.page && OPENING_NOTICES.has(c.input.kind));

const openingTransitions = (o: Observation) => o.transitions.filter((t) => t.delivered && OPENING_KINDS.has(t.signal.kind) && !dismissedBy(o, t));

/** The final state of each incident's last run: its result, or its live state when still open. */
function finalStates(o: Observation): OutageState[] {
  const states = o.runs.filter((r) => r.status === 'completed' && r.result).map((r) => r.result!);
  if (o.final.status === 'RUNNING' && o.final.state) states.push(o.final.state);
  return states.filter((s) => s.incidentId !== undefined);
}

const sameActor = (a?: { platform: string; id: string }, b?: { platform: string; id: string }) => (a === undefined) === (b === undefined) && (a === undefined || (a.platform === b!.platform && a.id === b!.id));

function runsIn(o: Observation, from: number, to: number): ExecutorRun[] {
  return [...o.world.executorRuns.values()].slice(from, to);
}

/** The step after the request's, or the settle phase: what a request may have caused comes before it. */
function nextStepRuns(o: Observation, r: RequestRecord): number {
  return o.runsAtStep[r.step + 1] ?? o.world.executorRuns.size;
}

export const invariants: Invariant[] = [
  {
    name: 'a',
    says: 'every opening transition of a route outside maintenance that its confirmation did not dismiss belongs to exactly one incident, and that incident paged',
    check(o) {
      const found: string[] = [];
      for (const t of openingTransitions(o).filter((t) => !t.maintenance)) {
        const owners = covering(o, t);
        if (owners.length === 0) found.push(`${describe(t)} belongs to no incident`);
        else if (owners.length > 1) found.push(`${describe(t)} belongs to ${owners.length} incidents: ${owners.map((i) => i.incidentId).join(', ')}`);
        else if (!paged(o, owners[0]!.incidentId)) found.push(`${describe(t)} belongs to ${owners[0]!.incidentId}, which never paged`);
      }
      return found;
    },
  },
  {
    name: 'b',
    says: 'no transition is dropped: an open incident reflects the last transition of each of its routes, and every opening transition is in some incident',
    check(o) {
      const found: string[] = [];
      for (const t of openingTransitions(o).filter((t) => t.maintenance)) {
        if (covering(o, t).length === 0) found.push(`${describe(t)} (in maintenance) is in no incident`);
      }
      if (o.final.status === 'RUNNING' && o.final.state) {
        for (const route of o.final.state.routes) {
          const last = o.transitions.filter((t) => t.delivered && t.signal.routeId === route.routeId).at(-1);
          if (last && route.health !== STATUS_OF[last.signal.kind as TransitionKind]) {
            found.push(`open incident shows ${route.routeId} as ${route.health}; its last transition was ${describe(last)} (${last.signal.status})`);
          }
        }
      }
      return found;
    },
  },
  {
    name: 'c',
    says: "an operator's request after a failed run starts a new executor run; a resend of the same request never does",
    check(o) {
      const found: string[] = [];
      for (const r of o.requests) {
        if (r.pending || r.refused || !r.before) continue;
        const after = runsIn(o, r.runsBefore, nextStepRuns(o, r));
        if (r.kind === 'failover' && !r.resend) {
          const route = r.before.routes.find((x) => x.routeId === r.routeId);
          if (route?.failover === 'failed' && !after.some((run) => run.input.routeId === r.routeId && run.input.direction === 'failover')) {
            found.push(`failover request ${r.requestId} at step ${r.step} after ${r.routeId}'s failed run answered ${r.answer?.result} and ran nothing`);
          }
        }
        if (r.resend && (r.kind === 'failover' || r.kind === 'failback')) {
          // A run under the request's tag that did not exist when the resend was sent is the resend's:
          // the first request's fail-over runs ended before its answer, and a failback request that
          // started an attempt answered `retrying` (its attempt may start later).
          // A resend goes to the incident its request went to: the same request id sent to a later
          // outage (the model reuses ids across a history) is a new request there (seed
          // 1796674287 path 1875 was read as a resend across two incidents).
          const first = o.requests.find((x) => x.kind === r.kind && x.requestId === r.requestId && x.routeId === r.routeId && x.answer && x.before?.incidentId === r.before!.incidentId);
          const tag = `:req-${requestKey(r.kind, r)}`;
          const ran = runsIn(o, r.runsBefore, o.world.executorRuns.size).filter((run) => run.key.endsWith(tag) && run.input.direction === r.kind && run.input.incidentId === r.before!.incidentId);
          if (first && ran.length > 0 && !(r.kind === 'failback' && first.answer?.result === 'retrying')) {
            found.push(`resent ${r.kind} request ${r.requestId} at step ${r.step} ran the executor again (${ran.map((x) => x.key).join(', ')}); the request had answered ${first?.answer?.result}`);
          }
        }
        if (r.kind === 'failback' && !r.resend) {
          const failedBack = r.before.routes.filter((x) => x.failover === 'done' && lastFailbackFailed(o, x.routeId, r.runsBefore));
          for (const route of failedBack) {
            if (!after.some((run) => run.input.routeId === route.routeId && run.input.direction === 'failback')) {
              found.push(`failback request ${r.requestId} at step ${r.step} after ${route.routeId}'s failed fail-back answered ${r.answer?.result} and ran nothing`);
            }
          }
        }
      }
      return found;
    },
  },
  {
    name: 'd',
    says: 'at most one open incident per route at any time',
    check(o) {
      const found: string[] = [];
      for (const routeId of Object.keys(o.contexts)) {
        const spans = incidents(o)
          .filter((i) => i.state !== 'closed_transient' && i.routeJoinedAt[routeId] !== undefined)
          .map((i) => ({ id: i.incidentId, from: i.routeJoinedAt[routeId]!, to: i.closedAt ?? Infinity }))
          .sort((x, y) => x.from - y.from);
        for (let k = 1; k < spans.length; k++) {
          if (spans[k]!.from < spans[k - 1]!.to) found.push(`${routeId} is in ${spans[k - 1]!.id} and ${spans[k]!.id} at once`);
        }
      }
      return found;
    },
  },
  {
    name: 'e',
    says: "the incident document, its timeline and its audit entries agree with the workflow's final state",
    check(o) {
      const found: string[] = [];
      for (const state of finalStates(o)) {
        const id = state.incidentId!;
        const doc = o.world.incidents.get(id);
        if (!doc) {
          found.push(`${id}: no incident document`);
          continue;
        }
        const closed = state.phase === 'resolved' || state.phase === 'closed_transient';
        if (closed ? doc.state !== state.phase : CLOSED.has(doc.state)) found.push(`${id}: workflow ${state.phase}, document ${doc.state}`);
        if (state.phase === 'resolved' && !doc.resolvedAt) found.push(`${id}: resolved without resolvedAt`);
        if (!sameActor(state.acknowledgedBy, doc.acknowledgedBy)) found.push(`${id}: acknowledged by ${state.acknowledgedBy?.id ?? 'nobody'} in the workflow, ${doc.acknowledgedBy?.id ?? 'nobody'} in the document`);
        const routes = (xs: string[]) => [...new Set(xs)].sort().join(',');
        // Results of runs started before the rewrite list no routes (they were kept beside the state).
        if (state.routes.length > 0 && routes(state.routes.map((r) => r.routeId)) !== routes(doc.routes)) found.push(`${id}: routes ${routes(state.routes.map((r) => r.routeId))} in the workflow, ${routes(doc.routes)} in the document`);
        const events = [...o.world.timeline.values()].filter((e) => e.incidentId === id);
        const resolvedEvents = events.filter((e) => e.kind === 'resolved').length;
        if (resolvedEvents !== (state.phase === 'resolved' ? 1 : 0)) found.push(`${id}: ${resolvedEvents} 'resolved' timeline events for a ${state.phase} workflow`);
        const ackEvents = events.filter((e) => e.kind === 'acknowledged').length;
        if (ackEvents !== (state.acknowledgedBy ? 1 : 0)) found.push(`${id}: ${ackEvents} 'acknowledged' timeline events`);
        const ackAudit = [...o.world.audit.values()].filter((a) => a.incidentId === id && a.action === 'incident.acknowledge').length;
        if (ackAudit !== (state.acknowledgedBy ? 1 : 0)) found.push(`${id}: ${ackAudit} acknowledgement audit entries`);
        if (state.routes.some((r) => r.failover === 'done') && !doc.failedOverAt) found.push(`${id}: a route is failed over, the document has no failedOverAt`);
        if (doc.mttrSec !== undefined && doc.resolvedAt && Math.abs(doc.mttrSec - (Date.parse(doc.resolvedAt) - doc.detectedAt) / 1000) > 1) {
          found.push(`${id}: MTTR ${doc.mttrSec} s does not match resolvedAt − detectedAt`);
        }
      }
      return found;
    },
  },
  {
    name: 'f',
    says: 'no notification key is delivered twice',
    check: (o) => o.world.redeliveries.map((d) => `${d.key} (${d.input.kind}) asked for again with another message after it was delivered: "${d.input.text}" is lost`),
  },
  {
    name: 'g',
    says: "every run's history stays under its limit",
    check(o) {
      const limit = o.history.scenario.historyLimit;
      const max = limit === undefined ? TEMPORAL_HISTORY_WARNING : limit + HISTORY_SLACK;
      return o.runs.filter((r) => r.events > max).map((r) => `run ${r.runId} has ${r.events} events (limit ${limit ?? 'none'}, allowed ${max})`);
    },
  },
  {
    name: 'h',
    says: 'every route ends on its primary path, or an open incident says why not',
    check(o) {
      const found: string[] = [];
      const open = o.final.status === 'RUNNING' ? o.final.state : undefined;
      for (const [routeId, path] of o.world.active) {
        const view = open?.routes.find((r) => r.routeId === routeId);
        if (view?.activePath !== undefined && view.activePath !== path) found.push(`the open incident says ${routeId} is on ${view.activePath}, it is on ${path}`);
        if (path === 'primary') continue;
        const why = view?.waiting ?? (open?.awaitingFailbackApproval.includes(routeId) ? 'awaiting fail-back approval' : undefined);
        if (!why) found.push(`${routeId} ends on ${path} and ${open ? 'the open incident does not say why' : 'no incident is open'}`);
      }
      return found;
    },
  },
  {
    name: 'r',
    says: 'every workflow task completes: replaying a history (worker restart, no cache) gives the same commands',
    check: (o) => [
      ...o.runs.flatMap((r) => r.taskFailures.map((f) => `run ${r.runId}: ${f}${r.dumped ? ` (history: ${r.dumped})` : ''}`)),
      ...(o.clockHeld ? ['the server clock stood still: a workflow task or activity never finished'] : []),
    ],
  },
];

function lastFailbackFailed(o: Observation, routeId: string, before: number): boolean {
  const last = runsIn(o, 0, before)
    .filter((run) => run.input.routeId === routeId && run.input.direction === 'failback')
    .at(-1);
  return last !== undefined && (last.status === 'running' || last.ok === false) && o.world.active.get(routeId) !== 'primary';
}

export function violations(o: Observation): { name: string; found: string[] }[] {
  return invariants.map((inv) => ({ name: inv.name, found: inv.check(o) })).filter((v) => v.found.length > 0);
}
