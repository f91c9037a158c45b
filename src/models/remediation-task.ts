import { model, Schema, type InferSchemaType } from 'mongoose';
import { actorSchema } from './shared';

/** A runbook checklist item within one incident: done by whom, when. */
const remediationTaskSchema = new Schema(
  {
    /** `<incidentId>:<runbookId>:<itemId>`: posting the checklist twice creates nothing new. */
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    runbookId: { type: String, required: true },
    itemId: { type: String, required: true },
    text: { type: String, required: true },
    done: { type: Boolean, required: true, default: false },
    doneBy: actorSchema,
    doneAt: Date,
  },
  { timestamps: true, collection: 'remediationtasks' },
);
remediationTaskSchema.index({ incidentId: 1 });

export type RemediationTaskDoc = InferSchemaType<typeof remediationTaskSchema>;
export const RemediationTask = model('RemediationTask', remediationTaskSchema);
