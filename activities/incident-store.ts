import { ApplicationFailure } from '@temporalio/common';
import { appendTimelineEvent } from '../src/incidents/append-timeline-event';
import { incidentsOpened, timeToAcknowledge, timeToResolve } from '../src/metrics/instruments';
import type { Models } from '../src/models';
import { insertOnce } from '../src/models/insert-once';
import type { OpenIncidentInput, TimelineInput, UpdateIncidentInput } from './outage-contract';

const DATE_FIELDS = ['acknowledgedAt', 'failedOverAt', 'failedBackAt', 'resolvedAt'] as const;

/**
 * The incident record and its timeline, written by the incident's own workflow (the only
 * writer of the incident document, so plain updates are safe on FerretDB).
 */
export function createIncidentActivities({ models }: { models: Pick<Models, 'Incident' | 'TimelineEvent'> }) {
  return {
    /** Creates the incident once; a retry (same incidentId) reports created: false. */
    openIncident: async ({ incidentId, detectedAt, ...fields }: OpenIncidentInput): Promise<{ created: boolean }> => {
      const created = await insertOnce(models.Incident, { _id: incidentId, ...fields, detectedAt: new Date(detectedAt) });
      if (created) incidentsOpened.inc({ severity: fields.severity });
      return { created };
    },

    /**
     * Sets the given fields (ISO date strings become dates) when `revision` is newer than the
     * document's (or absent): the workflow is the one writer, and a late retry of an older write
     * changes nothing. Times the first acknowledgement and the resolution once.
     */
    updateIncident: async ({ incidentId, set, revision }: UpdateIncidentInput): Promise<{ applied: boolean }> => {
      const fields: Record<string, unknown> = { ...set };
      for (const field of DATE_FIELDS) {
        const value = set[field];
        if (value !== undefined) fields[field] = new Date(value);
      }
      const newer = revision === undefined ? {} : { $or: [{ revision: { $exists: false } }, { revision: { $lt: revision } }] };
      // The document as it was (whole: FerretDB 1.x findAndModify takes no projection), so the first acknowledgement is timed once, however often this is retried.
      const before = await models.Incident.findOneAndUpdate({ _id: incidentId, ...newer }, { $set: { ...fields, ...(revision === undefined ? {} : { revision }) } }, { runValidators: true }).lean();
      if (!before) {
        if (await models.Incident.exists({ _id: incidentId })) return { applied: false };
        throw unknownIncident(incidentId);
      }
      if (set.acknowledgedAt && !before.acknowledgedAt) timeToAcknowledge.observe(secondsBetween(before.detectedAt, new Date(set.acknowledgedAt)));
      if (set.resolvedAt && !before.resolvedAt && set.mttrSec !== undefined) timeToResolve.observe({ severity: before.severity }, set.mttrSec);
      return { applied: true };
    },

    /** Appends a timeline event once per eventId. */
    appendTimeline: async ({ incidentId, at, ...event }: TimelineInput): Promise<{ added: boolean }> => ({
      added: await appendTimelineEvent(models, incidentId, { ...event, at: new Date(at) }),
    }),

    /**
     * Marks the incident resolved and stores MTTA/MTTR, read back from the document. Only outages
     * started before revisions call it (workflows/legacy/); newer ones send all of it in their
     * last updateIncident.
     */
    recordResolution: async ({ incidentId, resolvedAt, summary }: { incidentId: string; resolvedAt?: string; summary?: string }): Promise<{ mttaSec?: number; mttrSec?: number }> => {
      const incident = await models.Incident.findById(incidentId, { detectedAt: 1, acknowledgedAt: 1, resolvedAt: 1, severity: 1 }).lean();
      if (!incident) throw unknownIncident(incidentId);
      const resolved = resolvedAt ? new Date(resolvedAt) : incident.resolvedAt;
      const durations: { mttaSec?: number; mttrSec?: number } = {};
      if (incident.acknowledgedAt) durations.mttaSec = secondsBetween(incident.detectedAt, incident.acknowledgedAt);
      if (resolved) durations.mttrSec = secondsBetween(incident.detectedAt, resolved);
      const resolution = resolvedAt ? { state: 'resolved', resolvedAt: resolved, ...(summary ? { summary } : {}) } : {};
      await models.Incident.updateOne({ _id: incidentId }, { $set: { ...resolution, ...durations } });
      // Timed once: a retry finds the incident already resolved.
      if (resolvedAt && !incident.resolvedAt && durations.mttrSec !== undefined) timeToResolve.observe({ severity: incident.severity }, durations.mttrSec);
      return durations;
    },
  };
}

function unknownIncident(incidentId: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`unknown incident "${incidentId}"`, 'UnknownIncident');
}

function secondsBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 1000;
}
