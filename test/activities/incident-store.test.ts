import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createIncidentActivities } from '../../activities/incident-store';
import type { OpenIncidentInput, UpdateIncidentInput } from '../../activities/outage-contract';
import { models } from '../../src/models';
import { useTestDatabase } from '../support/database';

const db = useTestDatabase('incident_store');
beforeEach(() => db.clear());
const activities = createIncidentActivities({ models });
// Activity failures are expected here; keep the SDK's log of them out of the test output.
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR', () => {}) });

const detectedAt = '2026-11-22T10:00:00.000Z';
const opening: OpenIncidentInput = {
  incidentId: 'inc-r1-1',
  workflowId: 'outage:r1',
  routes: ['r1'],
  dependency: 'core-rtr-1',
  severity: 'critical',
  state: 'open',
  trigger: 'primary_down',
  detectedAt,
  activePath: 'main',
};
const update = (input: UpdateIncidentInput) => env.run(activities.updateIncident, input);
const later = (sec: number) => new Date(Date.parse(detectedAt) + sec * 1000).toISOString();

describe('openIncident', () => {
  it('creates the incident once', async () => {
    expect(await env.run(activities.openIncident, opening)).toEqual({ created: true });
    expect(await env.run(activities.openIncident, opening)).toEqual({ created: false });
    expect(await models.Incident.countDocuments()).toBe(1);
    expect(await models.Incident.findById('inc-r1-1').lean()).toMatchObject({
      workflowId: 'outage:r1',
      routes: ['r1'],
      state: 'open',
      detectedAt: new Date(detectedAt),
      activePath: 'main',
    });
  });

  it('opens the next outage of the same workflow id (the route’s next outage) as a new incident', async () => {
    await env.run(activities.openIncident, opening);
    expect(await env.run(activities.openIncident, { ...opening, incidentId: 'inc-r1-2', detectedAt: later(86_400) })).toEqual({ created: true });
    expect(await models.Incident.countDocuments({ workflowId: 'outage:r1' })).toBe(2);
  });
});

describe('updateIncident', () => {
  it('sets the given fields, with ISO strings stored as dates', async () => {
    await env.run(activities.openIncident, opening);
    const acknowledgedBy = { platform: 'slack' as const, id: 'U1', name: 'alice' };
    await update({ incidentId: 'inc-r1-1', set: { state: 'acknowledged', acknowledgedAt: later(90), acknowledgedBy } });
    expect(await models.Incident.findById('inc-r1-1').lean()).toMatchObject({
      state: 'acknowledged',
      acknowledgedAt: new Date(later(90)),
      acknowledgedBy,
      severity: 'critical',
    });
  });

  it('applies writes by revision: a late retry of an older write (a resolution overwritten by a fail-over) changes nothing', async () => {
    await env.run(activities.openIncident, opening);
    expect(await update({ incidentId: 'inc-r1-1', revision: 1, set: { state: 'failed_over', failedOverAt: later(20), activePath: 'backup' } })).toEqual({ applied: true });
    expect(await update({ incidentId: 'inc-r1-1', revision: 2, set: { state: 'resolved', resolvedAt: later(300), summary: 'fixed', mttrSec: 300 } })).toEqual({ applied: true });
    // The fail-over's write again, as a retry whose first attempt landed late.
    expect(await update({ incidentId: 'inc-r1-1', revision: 1, set: { state: 'failed_over', failedOverAt: later(20), activePath: 'backup' } })).toEqual({ applied: false });
    expect(await update({ incidentId: 'inc-r1-1', revision: 2, set: { state: 'acknowledged' } })).toEqual({ applied: false });
    expect(await models.Incident.findById('inc-r1-1').lean()).toMatchObject({ state: 'resolved', summary: 'fixed', mttrSec: 300, revision: 2 });
  });

  it('applies writes without a revision (outages started before revisions) as before, and revisions after them', async () => {
    await env.run(activities.openIncident, opening);
    expect(await update({ incidentId: 'inc-r1-1', set: { state: 'acknowledged' } })).toEqual({ applied: true });
    expect(await update({ incidentId: 'inc-r1-1', revision: 1, set: { state: 'failed_over' } })).toEqual({ applied: true });
    expect(await models.Incident.findById('inc-r1-1').lean()).toMatchObject({ state: 'failed_over', revision: 1 });
  });

  it('fails an unknown incident without retries', async () => {
    const err = await update({ incidentId: 'nope', set: { state: 'resolved' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ nonRetryable: true, type: 'UnknownIncident' });
  });
});

describe('appendTimeline', () => {
  it('adds an event once per eventId', async () => {
    await env.run(activities.openIncident, opening);
    const event = { incidentId: 'inc-r1-1', eventId: 'detected', at: detectedAt, kind: 'detected', message: 'primary down', data: { lossPct: 100 } };
    expect(await env.run(activities.appendTimeline, event)).toEqual({ added: true });
    expect(await env.run(activities.appendTimeline, event)).toEqual({ added: false });
    expect(await env.run(activities.appendTimeline, { ...event, eventId: 'ack', at: later(90) })).toEqual({ added: true });
    const incident = await models.Incident.findById('inc-r1-1').populate('timeline').lean<{ timeline: { eventId: string; at: Date }[] }>();
    expect(incident!.timeline.map((e) => [e.eventId, e.at])).toEqual([
      ['detected', new Date(detectedAt)],
      ['ack', new Date(later(90))],
    ]);
  });
});

describe('recordResolution', () => {
  it('computes MTTA and MTTR from the stored times and stores them', async () => {
    await env.run(activities.openIncident, opening);
    await update({ incidentId: 'inc-r1-1', set: { acknowledgedAt: later(90), resolvedAt: later(600.5), state: 'resolved' } });
    expect(await env.run(activities.recordResolution, { incidentId: 'inc-r1-1' })).toEqual({ mttaSec: 90, mttrSec: 600.5 });
    expect(await models.Incident.findById('inc-r1-1').lean()).toMatchObject({ mttaSec: 90, mttrSec: 600.5 });
  });

  it('marks the incident resolved with its summary in the same write when given the resolution time', async () => {
    await env.run(activities.openIncident, opening);
    await update({ incidentId: 'inc-r1-1', set: { acknowledgedAt: later(30) } });
    expect(await env.run(activities.recordResolution, { incidentId: 'inc-r1-1', resolvedAt: later(300), summary: 'fixed' })).toEqual({ mttaSec: 30, mttrSec: 300 });
    expect(await models.Incident.findById('inc-r1-1').lean()).toMatchObject({ state: 'resolved', summary: 'fixed', mttaSec: 30, mttrSec: 300, resolvedAt: new Date(later(300)) });
  });

  it('leaves MTTA out when nobody acknowledged', async () => {
    await env.run(activities.openIncident, opening);
    await update({ incidentId: 'inc-r1-1', set: { resolvedAt: later(120), state: 'resolved' } });
    expect(await env.run(activities.recordResolution, { incidentId: 'inc-r1-1' })).toEqual({ mttrSec: 120 });
    expect(await models.Incident.findById('inc-r1-1').lean()).not.toHaveProperty('mttaSec');
  });
});
