import { randomUUID } from 'node:crypto';
import { model, Schema, type InferSchemaType } from 'mongoose';
import { actorSchema, SUBDOC } from './shared';

/** Append-only record of who did what, when, from where, and what changed. */
const auditEntrySchema = new Schema(
  {
    /** The idempotency key: a retried write with the same key records nothing new. */
    _id: { type: String, required: true, default: () => randomUUID() },
    at: { type: Date, required: true, default: () => new Date() },
    actor: { type: actorSchema, required: true },
    action: { type: String, required: true },
    target: { type: new Schema({ kind: { type: String, required: true }, id: { type: String, required: true } }, SUBDOC), required: true },
    incidentId: String,
    routeId: String,
    outcome: { type: String, enum: ['ok', 'refused', 'error'], required: true },
    reason: String,
    before: Schema.Types.Mixed,
    after: Schema.Types.Mixed,
  },
  { collection: 'auditentries', versionKey: false },
);
auditEntrySchema.index({ at: -1 });
auditEntrySchema.index({ 'target.id': 1, at: -1 });
auditEntrySchema.index({ incidentId: 1 });

export type AuditEntryDoc = InferSchemaType<typeof auditEntrySchema>;
export const AuditEntry = model('AuditEntry', auditEntrySchema);
