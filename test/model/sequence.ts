import fc from 'fast-check';
import type { RouteTransitionSignal } from '../../workflows/messages';
import type { ExecutorOutcome } from './world';

/**
 * What one generated history is made of: a scenario (the routes of one outage key and their
 * policies) and up to 12 steps that happen to it, in order.
 */

export type TransitionKind = 'down' | 'degraded' | 'recovered' | 'cleared' | 'flapping' | 'telemetry_gap' | 'telemetry_restored';

/** Kinds the sweeper sends with signalWithStart (they open an outage); the others go to a running one or nowhere. */
export const OPENING_KINDS: ReadonlySet<string> = new Set(['down', 'degraded', 'flapping', 'telemetry_gap']);

/** The route status the sweeper reports with each kind. */
export const STATUS_OF: Record<TransitionKind, RouteTransitionSignal['status']> = {
  down: 'down',
  degraded: 'degraded',
  flapping: 'down',
  telemetry_gap: 'unknown',
  recovered: 'up',
  cleared: 'up',
  telemetry_restored: 'up',
};

export interface RouteSpec {
  failover: 'automatic' | 'manual' | 'none';
  failback: 'automatic' | 'approval';
  escalation: boolean;
  /** A maintenance window covers the whole history. */
  maintenance: boolean;
}

export interface Scenario {
  routes: RouteSpec[];
  /** Confirmation probes of a `down` before paging (0: the sweeper's debounce is enough). */
  confirmAttempts: 0 | 2;
  /** A small history limit makes runs continue as new. */
  historyLimit?: number;
  /** The worker keeps no workflow in its cache: every task replays the history. */
  cacheless: boolean;
}

/** Operator request ids come from a small pool, so a later request may resend an earlier one. */
export type RequestId = 'q1' | 'q2' | 'q3';
/** once; resend: the same request id again after the answer; concurrent: two at once, same id or another. */
export type Repeat = 'once' | 'resend' | 'concurrent-same' | 'concurrent-other';

export type Step =
  | { t: 'transitions'; batch: { route: number; kind: TransitionKind; link: boolean }[] }
  | { t: 'ack' }
  | { t: 'failover'; route: number; request: RequestId; repeat: Repeat }
  | { t: 'failback'; request: RequestId; repeat: Repeat }
  | { t: 'resolve'; request: RequestId; repeat: Repeat }
  | { t: 'executor'; outcomes: ExecutorOutcome[] }
  | { t: 'link'; route: number; path: 'primary' | 'backup-a' | 'backup-b'; up: boolean }
  | { t: 'chatDown'; sec: number }
  | { t: 'storeLag' }
  | { t: 'restart' }
  | { t: 'sleep'; sec: number };

export interface History {
  scenario: Scenario;
  steps: Step[];
}

const routeSpec: fc.Arbitrary<RouteSpec> = fc.record({
  failover: fc.constantFrom('automatic', 'automatic', 'manual', 'none'),
  failback: fc.constantFrom('automatic', 'approval'),
  escalation: fc.boolean(),
  maintenance: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
});

const scenario: fc.Arbitrary<Scenario> = fc.record({
  routes: fc.array(routeSpec, { minLength: 1, maxLength: 5 }),
  confirmAttempts: fc.constantFrom(0 as const, 2 as const),
  historyLimit: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.constant(80), weight: 1 }),
  cacheless: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
});

const kind: fc.Arbitrary<TransitionKind> = fc.oneof(
  { arbitrary: fc.constant('down' as const), weight: 5 },
  { arbitrary: fc.constant('recovered' as const), weight: 4 },
  { arbitrary: fc.constantFrom('degraded' as const, 'cleared' as const, 'flapping' as const, 'telemetry_gap' as const, 'telemetry_restored' as const), weight: 3 },
);
const request: fc.Arbitrary<RequestId> = fc.constantFrom('q1', 'q2', 'q3');
const repeat: fc.Arbitrary<Repeat> = fc.oneof({ arbitrary: fc.constant('once' as const), weight: 4 }, { arbitrary: fc.constantFrom('resend' as const, 'concurrent-same' as const, 'concurrent-other' as const), weight: 2 });
const outcome: fc.Arbitrary<ExecutorOutcome> = fc.constantFrom('ok', 'failed', 'failed', 'hang', 'hang-moved', 'unknown', 'unknown-moved');
/** Time jumps: a moment, a confirmation, escalation levels, failback delays, long outages. */
const seconds = fc.constantFrom(1, 5, 20, 60, 150, 400, 1200);

function step({ routes, cacheless }: Scenario): fc.Arbitrary<Step> {
  const route = fc.nat(routes.length - 1);
  const steps: fc.WeightedArbitrary<Step>[] = [
    {
      // The sweeper gathers a dependency's transitions into one signal (usually one).
      arbitrary: fc.record({
        t: fc.constant('transitions' as const),
        batch: fc.array(fc.record({ route, kind, link: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }) }), { minLength: 1, maxLength: 3 }),
      }),
      weight: 8,
    },
    { arbitrary: fc.record({ t: fc.constant('sleep' as const), sec: seconds }), weight: 5 },
    { arbitrary: fc.record({ t: fc.constant('link' as const), route, path: fc.constantFrom('primary' as const, 'backup-a' as const, 'backup-b' as const), up: fc.boolean() }), weight: 3 },
    { arbitrary: fc.record({ t: fc.constant('executor' as const), outcomes: fc.array(outcome, { minLength: 1, maxLength: 3 }) }), weight: 3 },
    // Both backups failing: the route's fail-over has failed, and what a person asks next matters.
    { arbitrary: fc.constant({ t: 'executor' as const, outcomes: ['failed' as const, 'failed' as const] }), weight: 1 },
    // The first route opens most outages: requests for it meet an open incident more often.
    { arbitrary: fc.record({ t: fc.constant('failover' as const), route: fc.oneof(fc.constant(0), route), request, repeat }), weight: 3 },
    { arbitrary: fc.record({ t: fc.constant('ack' as const) }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant('failback' as const), request, repeat }), weight: 2 },
    { arbitrary: fc.record({ t: fc.constant('resolve' as const), request, repeat }), weight: 2 },
    { arbitrary: fc.record({ t: fc.constant('chatDown' as const), sec: fc.constantFrom(30, 120, 600) }), weight: 2 },
    { arbitrary: fc.record({ t: fc.constant('storeLag' as const) }), weight: 1 },
  ];
  // Worker restarts only where the worker caches nothing: after a caching worker is replaced, the
  // time-skipping server keeps its workflows' next tasks waiting (for the gone worker's sticky
  // queue) and the clock stands still. Replay from history is what a restart exercises; a
  // worker without cache replays on every task.
  if (cacheless) steps.push({ arbitrary: fc.record({ t: fc.constant('restart' as const) }), weight: 2 });
  return fc.oneof(...steps);
}

/** A scenario and up to 12 steps for it; shrinking drops steps and routes and simplifies both. */
export const histories: fc.Arbitrary<History> = scenario.chain((s) =>
  fc.array(step(s), { minLength: 1, maxLength: 12 }).map((steps) => ({ scenario: s, steps })),
);
