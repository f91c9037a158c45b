import type { HealthStatus } from './score';

/** Per route class (routes.yaml `classes[].debounce` / `flapping` / `telemetrySlaSec`). */
export interface DebounceSettings {
  failuresToSuspect: number;
  failuresToDown: number;
  recoveriesToUp: number;
  /** A failure must also have lasted this long before the route is declared down. */
  graceSec: number;
  flapping: { transitions: number; windowSec: number };
  telemetrySlaSec: number;
}

export type RouteHealthState = 'healthy' | 'suspect' | 'down' | 'degraded' | 'recovering';

export type TransitionKind =
  | 'suspect' // first failures seen
  | 'cleared' // a suspicion that did not confirm (a blip)
  | 'down'
  | 'degraded'
  | 'recovering'
  | 'recovered'
  | 'flapping'
  | 'telemetry_gap'
  | 'telemetry_restored';

export interface Transition {
  kind: TransitionKind;
  from: RouteHealthState;
  to: RouteHealthState;
  at: Date;
  /** What pushed it over: 'probe', 'snmp-trap', 'api', 'sla'. */
  cause: string;
  consecutiveFailures: number;
}

/** The debounce memory of one route. Plain data, so it can be persisted or inspected. */
export interface DebounceState {
  state: RouteHealthState;
  failures: number;
  degradedCount: number;
  successes: number;
  firstFailureAt?: number;
  lastKnownAt?: number;
  blind: boolean;
  /** When the route last entered down (for flapping). */
  downEntries: number[];
  flappingUntil?: number;
}

export function initialDebounceState(now: number): DebounceState {
  return { state: 'healthy', failures: 0, degradedCount: 0, successes: 0, lastKnownAt: now, blind: false, downEntries: [] };
}

export interface Observation {
  status: HealthStatus;
  at: Date;
  cause: string;
  /** An authoritative failure (e.g. a linkDown trap for the route's primary interface): down at once. */
  hard?: boolean;
}

/**
 * Feeds one observation into a route's debounce state machine and returns the transitions
 * it causes (usually none). healthy → suspect → down needs `failuresToDown` consecutive
 * failures lasting at least `graceSec`; down → recovering → healthy needs `recoveriesToUp`
 * consecutive successes; a suspicion that clears is a blip ('cleared'), not an outage.
 * Entering down `flapping.transitions` times within `flapping.windowSec` adds one
 * 'flapping' transition per window instead of treating each flap as news.
 * `unknown` changes no counter; unknown for longer than the telemetry SLA is a 'telemetry_gap'.
 */
export function observe(s: DebounceState, obs: Observation, cfg: DebounceSettings): Transition[] {
  const now = obs.at.getTime();
  const out: Transition[] = [];
  const move = (to: RouteHealthState, kind: TransitionKind) => {
    out.push({ kind, from: s.state, to, at: obs.at, cause: obs.cause, consecutiveFailures: s.failures });
    s.state = to;
  };

  if (obs.status === 'unknown') {
    if (!s.blind && s.lastKnownAt !== undefined && now - s.lastKnownAt > cfg.telemetrySlaSec * 1000) {
      s.blind = true;
      out.push({ kind: 'telemetry_gap', from: s.state, to: s.state, at: obs.at, cause: 'sla', consecutiveFailures: s.failures });
    }
    return out;
  }
  s.lastKnownAt = now;
  if (s.blind) {
    s.blind = false;
    out.push({ kind: 'telemetry_restored', from: s.state, to: s.state, at: obs.at, cause: obs.cause, consecutiveFailures: s.failures });
  }

  if (obs.status === 'up') {
    s.failures = 0;
    s.degradedCount = 0;
    s.firstFailureAt = undefined;
    s.successes += 1;
    if (s.state === 'suspect') move('healthy', 'cleared');
    else if (s.state === 'down') move('recovering', 'recovering');
    if ((s.state === 'recovering' || s.state === 'degraded') && s.successes >= cfg.recoveriesToUp) move('healthy', 'recovered');
    return out;
  }

  s.successes = 0;
  s.firstFailureAt ??= now;
  if (obs.status === 'degraded') {
    s.degradedCount += 1;
    if ((s.state === 'healthy' || s.state === 'recovering') && s.degradedCount >= cfg.failuresToDown) move('degraded', 'degraded');
    return out;
  }

  s.failures += 1;
  const lastedLongEnough = now - s.firstFailureAt >= cfg.graceSec * 1000;
  if (s.state === 'down') return out;
  // A failure while recovering means the recovery did not hold: straight back to down.
  if (s.state === 'recovering' || obs.hard || (s.failures >= cfg.failuresToDown && lastedLongEnough)) {
    move('down', 'down');
    noteDownEntry(s, now, cfg, obs, out);
  } else if (s.state !== 'suspect' && s.failures >= cfg.failuresToSuspect) {
    move('suspect', 'suspect');
  }
  return out;
}

function noteDownEntry(s: DebounceState, now: number, cfg: DebounceSettings, obs: Observation, out: Transition[]): void {
  const windowMs = cfg.flapping.windowSec * 1000;
  s.downEntries = [...s.downEntries.filter((t) => now - t <= windowMs), now];
  const alreadyFlapping = s.flappingUntil !== undefined && now < s.flappingUntil;
  if (s.downEntries.length >= cfg.flapping.transitions && !alreadyFlapping) {
    s.flappingUntil = now + windowMs;
    out.push({ kind: 'flapping', from: 'down', to: 'down', at: obs.at, cause: obs.cause, consecutiveFailures: s.failures });
  }
}
