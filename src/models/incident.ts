import { model, Schema, type InferSchemaType } from 'mongoose';
import { actorSchema, SEVERITIES, SUBDOC } from './shared';

export const INCIDENT_STATES = ['detecting', 'open', 'acknowledged', 'failed_over', 'recovering', 'resolved', 'closed_transient'] as const;
/** The states of an incident that is over. */
export const CLOSED_STATES: (typeof INCIDENT_STATES)[number][] = ['resolved', 'closed_transient'];

/** Where the incident lives in chat, so messages are updated in place. */
const channelRefSchema = new Schema(
  {
    platform: { type: String, enum: ['slack', 'discord'], required: true },
    channelId: { type: String, required: true },
    alertMessageId: String,
  },
  SUBDOC,
);

/** An outage: one per outage workflow, which is the only writer of this document. */
const incidentSchema = new Schema(
  {
    _id: { type: String, required: true },
    workflowId: { type: String, required: true },
    routes: { type: [String], required: true, validate: (v: string[]) => v.length > 0 },
    dependency: String,
    parentIncidentId: String,
    severity: { type: String, enum: SEVERITIES, required: true },
    state: { type: String, enum: INCIDENT_STATES, required: true },
    trigger: String,
    detectedAt: { type: Date, required: true },
    acknowledgedAt: Date,
    acknowledgedBy: actorSchema,
    failedOverAt: Date,
    failedBackAt: Date,
    resolvedAt: Date,
    activePath: String,
    channels: { type: [channelRefSchema], default: [] },
    summary: String,
    /** Time to acknowledge and to resolve, in seconds from detection (set at resolution). */
    mttaSec: { type: Number, min: 0 },
    mttrSec: { type: Number, min: 0 },
    /** The revision of the workflow's last write (activities/incident-store.ts): an older write is ignored. */
    revision: Number,
  },
  { timestamps: true, collection: 'incidents', toObject: { virtuals: true }, toJSON: { virtuals: true } },
);
/** The timeline lives in its own insert-once collection (see timeline-event.ts); populate('timeline') reads it. */
incidentSchema.virtual('timeline', { ref: 'TimelineEvent', localField: '_id', foreignField: 'incidentId', options: { sort: { at: 1, _id: 1 } } });
// Not unique: a workflow id (outage:<route>) is reused by the route's next outage.
incidentSchema.index({ workflowId: 1, detectedAt: -1 });
incidentSchema.index({ state: 1, detectedAt: -1 });
incidentSchema.index({ routes: 1, detectedAt: -1 });
incidentSchema.index({ dependency: 1 });

export type IncidentDoc = InferSchemaType<typeof incidentSchema>;
export const Incident = model('Incident', incidentSchema);
