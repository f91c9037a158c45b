import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * A message StateTrace posted to Slack, stored under its idempotency key (`_id`), inserted
 * before posting (the claim) and given its `ts` after. A retry that finds a claim without
 * `ts` looks for the message in the channel by its metadata before posting again, so a
 * crash between posting and recording never duplicates a post.
 */
const slackMessageSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    channelId: { type: String, required: true },
    role: { type: String, enum: ['alert', 'timeline', 'checklist', 'resolution', 'file'], required: true },
    /** Alerts in the incident channel show customer identifiers; copies elsewhere do not. */
    incidentChannel: { type: Boolean, required: true },
    claimedAt: { type: Date, required: true },
    ts: String,
    /** role file: the uploaded file's id. */
    fileId: String,
  },
  { collection: 'slackmessages', versionKey: false },
);
slackMessageSchema.index({ incidentId: 1, role: 1 });

export type SlackMessageDoc = InferSchemaType<typeof slackMessageSchema>;
export const SlackMessage = model('SlackMessage', slackMessageSchema);
