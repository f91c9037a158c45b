import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * One attempt at sending one day's digest: `_id` `digest:<yyyy-mm-dd>` for the first
 * attempt, `digest:<yyyy-mm-dd>:<n>` for the n-th. Inserting it is the claim to send
 * (FerretDB 1.x keeps _id unique, but a conditional update or delete is not atomic there, so
 * claims are never taken over by rewriting: a failed or abandoned attempt is followed by a
 * new one). Only the claimant writes `sentAt` or `failedAt`.
 */
const digestRunSchema = new Schema(
  {
    _id: { type: String, required: true },
    day: { type: String, required: true, match: /^\d{4}-\d{2}-\d{2}$/ },
    attempt: { type: Number, required: true, min: 1 },
    claimedAt: { type: Date, required: true },
    sentAt: Date,
    failedAt: Date,
    error: String,
    incidents: { type: Number, min: 0 },
  },
  { collection: 'digestruns', versionKey: false },
);

export type DigestRunDoc = InferSchemaType<typeof digestRunSchema>;
export const DigestRun = model('DigestRun', digestRunSchema);
