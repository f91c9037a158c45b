import { model, Schema, type InferSchemaType } from 'mongoose';
import { actorSchema } from './shared';

/**
 * One line of an incident's timeline, stored as its own document with the id
 * `<incidentId>:<eventId>`. Appending is an insert, so a retried activity can never add
 * the same event twice: FerretDB 1.x (SQLite) does not make concurrent updates of one
 * document atomic (measured: lost $inc/$push), but it does keep _id unique.
 */
const timelineEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    eventId: { type: String, required: true },
    at: { type: Date, required: true },
    kind: { type: String, required: true },
    message: { type: String, required: true },
    actor: actorSchema,
    data: Schema.Types.Mixed,
  },
  { collection: 'timelineevents', versionKey: false },
);
timelineEventSchema.index({ incidentId: 1, at: 1 });

export type TimelineEventDoc = InferSchemaType<typeof timelineEventSchema>;
export const TimelineEvent = model('TimelineEvent', timelineEventSchema);
