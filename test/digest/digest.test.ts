import { buildDigest, previousUtcDay } from '../../src/digest/build-digest';
import { renderDigest, formatDuration } from '../../src/digest/render-digest';
import { models } from '../../src/models';
import { routeRecordDoc } from '../fixtures/route-records';
import { useTestDatabase } from '../support/database';

/** The daily digest from a seeded week: only the day's incidents, exact means, flappiest first, what needs someone. */
useTestDatabase('digest');

const DAY = '2026-11-21';
const NOW = new Date('2026-11-22T08:00:00.000Z');
const at = (iso: string) => new Date(`${iso}Z`);
const plus = (d: Date, sec: number) => new Date(d.getTime() + sec * 1000);
const alice = { platform: 'slack', id: 'U0ALICE', name: 'alice' };

function incident(id: string, detected: string, over: Record<string, unknown>): Record<string, unknown> {
  return { _id: id, workflowId: `outage:${id}`, routes: ['r1'], severity: 'major', state: 'resolved', trigger: 'down', detectedAt: at(detected), ...over };
}
function resolved(id: string, detected: string, ackSec: number | undefined, resolveSec: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  const d = at(detected);
  return incident(id, detected, {
    ...(ackSec === undefined ? {} : { acknowledgedAt: plus(d, ackSec), acknowledgedBy: alice, mttaSec: ackSec }),
    resolvedAt: plus(d, resolveSec),
    mttrSec: resolveSec,
    ...over,
  });
}
let flapN = 0;
const flap = (routeId: string, iso: string): Record<string, unknown> => ({
  _id: `${routeId}:${at(iso).getTime()}:flapping:${flapN++}`,
  routeId,
  at: at(iso),
  kind: 'flapping',
  from: 'down',
  to: 'recovering',
  cause: 'flapping',
  consecutiveFailures: 0,
  status: 'up',
  score: 90,
});
const task = (incidentId: string, itemId: string, done: boolean) => ({ _id: `${incidentId}:link-down:${itemId}`, incidentId, runbookId: 'link-down', itemId, text: `Do ${itemId} <now>`, done });

beforeAll(async () => {
  await models.RouteRecord.create([
    routeRecordDoc('r1', { name: 'Core r1' }),
    routeRecordDoc('r2', { name: 'Edge r2' }),
    routeRecordDoc('r3', { name: 'Backbone <r3> & co' }),
  ]);
  await models.Incident.create([
    // Other days of the week: not in the day's list.
    resolved('inc-old1', '2026-11-18T09:00:00', 30, 900),
    incident('inc-old2', '2026-11-20T22:00:00', { routes: ['r6'], state: 'open', severity: 'warning' }),
    resolved('inc-next', '2026-11-22T01:00:00', 10, 100),
    // The day.
    resolved('inc-a', '2026-11-21T02:00:00', 120, 1800, { severity: 'critical' }),
    incident('inc-t', '2026-11-21T05:00:00', { routes: ['r5'], severity: 'info', state: 'closed_transient' }),
    resolved('inc-b', '2026-11-21T10:00:00', 300, 3600, { routes: ['r2', 'r3'] }),
    resolved('inc-c', '2026-11-21T15:00:00', undefined, 600, { routes: ['r2'], severity: 'warning' }),
    // Acknowledged after 60 s (not resolved: MTTA derived from acknowledgedAt), still failed over.
    incident('inc-d', '2026-11-21T20:00:00', { routes: ['r4'], severity: 'critical', state: 'failed_over', acknowledgedAt: at('2026-11-21T20:01:00'), acknowledgedBy: alice }),
  ]);
  await models.RouteTransition.create([
    ...['01:00', '03:00', '09:00', '23:59'].map((t) => flap('r2', `${DAY}T${t}:00`)),
    flap('r3', `${DAY}T12:00:00`),
    flap('r9', '2026-11-20T12:00:00'),
    flap('r9', '2026-11-22T00:00:00'),
  ]);
  await models.RemediationTask.create([task('inc-d', 'optics', true), task('inc-d', 'bgp', false), task('inc-a', 'late', false), task('inc-old2', 'cabling', false)]);
});

describe('buildDigest', () => {
  it('lists only the day’s incidents, with exact MTTA/MTTR means over those that have them', async () => {
    expect(previousUtcDay(NOW)).toBe(DAY);
    const d = await buildDigest({ models, day: DAY, now: NOW });
    expect(d.from).toEqual(at(`${DAY}T00:00:00`));
    expect(d.incidents.map((i) => i.id)).toEqual(['inc-a', 'inc-t', 'inc-b', 'inc-c', 'inc-d']);
    expect(d.incidents.find((i) => i.id === 'inc-d')).toMatchObject({ mttaSec: 60, mttrSec: undefined, open: true, acknowledgedBy: 'alice' });
    expect(d.bySeverity).toEqual({ critical: 2, info: 1, major: 1, warning: 1 });
    // MTTA: inc-a 120, inc-b 300, inc-d 60 (inc-c never acknowledged; inc-t transient) = 160.
    expect(d.mtta).toEqual({ meanSec: 160, count: 3 });
    // MTTR: inc-a 1800, inc-b 3600, inc-c 600 (inc-d still open) = 2000.
    expect(d.mttr).toEqual({ meanSec: 2000, count: 3 });
  });

  it('ranks routes by flapping transitions, then incidents, the flappiest first', async () => {
    const d = await buildDigest({ models, day: DAY, now: NOW });
    expect(d.flappiest).toEqual([
      { routeId: 'r2', name: 'Edge r2', flaps: 4, incidents: 2 },
      { routeId: 'r3', name: 'Backbone <r3> & co', flaps: 1, incidents: 1 },
      { routeId: 'r1', name: 'Core r1', flaps: 0, incidents: 1 },
      { routeId: 'r4', name: undefined, flaps: 0, incidents: 1 },
      { routeId: 'r5', name: undefined, flaps: 0, incidents: 1 },
    ]);
  });

  it('lists what needs someone: never acknowledged, still open, and undone checklist items of open incidents', async () => {
    const d = await buildDigest({ models, day: DAY, now: NOW });
    expect(d.attention.map((i) => [i.id, i.reason])).toEqual([
      ['inc-c', 'resolved without acknowledgement'],
      ['inc-old2', 'open, never acknowledged'],
      ['inc-d', 'still open'],
    ]);
    expect(d.openTasks.map((t) => t.taskId)).toEqual(['inc-d:link-down:bgp', 'inc-old2:link-down:cabling']);
  });

  it('refuses a day that is not yyyy-mm-dd', async () => {
    await expect(buildDigest({ models, day: '2026-13-01', now: NOW })).rejects.toThrow(/not a day/);
    await expect(buildDigest({ models, day: 'yesterday', now: NOW })).rejects.toThrow(/not a day/);
  });
});

describe('renderDigest', () => {
  it('renders mrkdwn from the template, escaping data, and the same text as Block Kit sections', async () => {
    const { text, blocks } = renderDigest(await buildDigest({ models, day: DAY, now: NOW }));
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      '*StateTrace daily digest for 2026-11-21 (UTC)*',
      '5 incidents (2 critical, 1 major, 1 warning, 1 info) · MTTA 2m 40s (mean of 3) · MTTR 33m 20s (mean of 3)',
    ]);
    expect(lines).toContain('• `inc-a` critical · resolved · r1 · detected 02:00 UTC · MTTA 2m 00s · MTTR 30m 00s · acknowledged by alice');
    expect(lines).toContain('• `inc-d` critical · failed over · r4 · detected 20:00 UTC · MTTA 1m 00s · MTTR n/a · acknowledged by alice');
    expect(lines).toContain('1. r2 (Edge r2): 4 flapping transitions · 2 incidents');
    expect(lines).toContain('2. r3 (Backbone &lt;r3&gt; &amp; co): 1 flapping transition · 1 incident');
    expect(lines).toContain('• `inc-old2` warning · open · r6: open, never acknowledged (detected 2026-11-20 22:00 UTC)');
    expect(lines).toContain('• Checklist item not done on `inc-d` (link-down): Do bgp &lt;now&gt;');
    expect(text).not.toMatch(/inc-old1|inc-next|inc-a:link-down|&#x|\n\n\n/);
    expect(lines.indexOf('*Flappiest routes*')).toBeGreaterThan(lines.indexOf('*Incidents*'));
    expect(blocks.map((b) => b.text.text).join('\n\n')).toBe(text);
    expect(blocks.every((b) => b.type === 'section' && b.text.text.length <= 3000)).toBe(true);
  });

  it('renders a quiet day', async () => {
    const { text } = renderDigest(await buildDigest({ models, day: '2026-11-10', now: new Date('2026-11-11T08:00:00Z') }));
    expect(text).toBe(
      [
        '*StateTrace daily digest for 2026-11-10 (UTC)*',
        'No incidents.',
        '',
        '*Incidents*',
        'None that day.',
        '',
        '*Flappiest routes*',
        'No route flapped or had an incident.',
        '',
        '*Needs attention*',
        'Nothing: every incident was acknowledged and none is open.',
      ].join('\n'),
    );
  });

  it('formats durations', () => {
    expect([45, 252, 3900, 2 * 86_400 + 3 * 3600, undefined].map(formatDuration)).toEqual(['45s', '4m 12s', '1h 05m', '2d 03h', 'n/a']);
  });
});
