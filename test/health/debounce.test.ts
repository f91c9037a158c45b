import { initialDebounceState, observe, type DebounceSettings, type Observation } from '../../src/health/debounce';
import type { HealthStatus } from '../../src/health/score';

const cfg: DebounceSettings = {
  failuresToSuspect: 1,
  failuresToDown: 3,
  recoveriesToUp: 3,
  graceSec: 0,
  flapping: { transitions: 3, windowSec: 300 },
  telemetrySlaSec: 30,
};

/** Feeds statuses one per `stepSec` and returns the transition kinds in order. */
function run(statuses: (HealthStatus | 'HARD')[], settings = cfg, stepSec = 10) {
  const s = initialDebounceState(0);
  return statuses.flatMap((st, i) => {
    const obs: Observation = { status: st === 'HARD' ? 'down' : st, hard: st === 'HARD', at: new Date((i + 1) * stepSec * 1000), cause: 'probe' };
    return observe(s, obs, settings).map((t) => `${t.kind}:${t.from}->${t.to}`);
  });
}

describe('debounce state machine', () => {
  it('goes healthy → suspect → down after failuresToDown failures', () => {
    expect(run(['up', 'down', 'down', 'down', 'down'])).toEqual(['suspect:healthy->suspect', 'down:suspect->down']);
  });

  it('clears a blip that does not confirm', () => {
    expect(run(['down', 'down', 'up', 'up'])).toEqual(['suspect:healthy->suspect', 'cleared:suspect->healthy']);
  });

  it('recovers only after recoveriesToUp successes, and a relapse goes straight back to down', () => {
    expect(run(['down', 'down', 'down', 'up', 'up', 'down', 'up', 'up', 'up'])).toEqual([
      'suspect:healthy->suspect',
      'down:suspect->down',
      'recovering:down->recovering',
      'down:recovering->down',
      'recovering:down->recovering',
      'recovered:recovering->healthy',
    ]);
  });

  it('waits for the grace period as well as the count', () => {
    // failures 1 s apart: three failures last 2 s, grace 5 s → down at the 6th failure
    const transitions = run(['down', 'down', 'down', 'down', 'down', 'down', 'down'], { ...cfg, graceSec: 5 }, 1);
    expect(transitions).toEqual(['suspect:healthy->suspect', 'down:suspect->down']);
    const s = initialDebounceState(0);
    const downAt = [1, 2, 3, 4, 5, 6, 7].find((t) => observe(s, { status: 'down', at: new Date(t * 1000), cause: 'probe' }, { ...cfg, graceSec: 5 }).some((x) => x.kind === 'down'));
    expect(downAt).toBe(6);
  });

  it('takes an authoritative (hard) failure to down at once', () => {
    expect(run(['up', 'HARD'])).toEqual(['down:healthy->down']);
  });

  it('never goes down on steady degradation; reports degraded once', () => {
    expect(run(Array<HealthStatus>(50).fill('degraded'))).toEqual(['degraded:healthy->degraded']);
  });

  it('mixed noise below the failure count never reaches down', () => {
    const noisy: HealthStatus[] = Array.from({ length: 300 }, (_, i) => (i % 3 === 2 ? 'down' : 'up'));
    const t = run(noisy);
    expect(t.filter((x) => x.startsWith('down'))).toEqual([]);
    expect(t.every((x) => x === 'suspect:healthy->suspect' || x === 'cleared:suspect->healthy')).toBe(true);
  });

  it('reports flapping once per window instead of once per flap', () => {
    const flap: HealthStatus[] = [];
    for (let i = 0; i < 6; i++) flap.push('down', 'down', 'down', 'up', 'up', 'up');
    const t = run(flap);
    expect(t.filter((x) => x.startsWith('down:')).length).toBe(6);
    expect(t.filter((x) => x.startsWith('flapping'))).toEqual(['flapping:down->down']);
  });

  it('reports a telemetry gap once when nothing is known beyond the SLA, and its end', () => {
    expect(run(['up', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'up'])).toEqual([
      'telemetry_gap:healthy->healthy',
      'telemetry_restored:healthy->healthy',
    ]);
  });
});
