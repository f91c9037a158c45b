import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * A message StateTrace posted to Discord, stored under its idempotency key (`_id`): inserted
 * before posting (the claim), given its messageId after. The post carries a nonce derived
 * from the key with enforce_nonce, so Discord itself answers a repeated post (a retry after
 * a crash between posting and recording) with the message it already created.
 */
const discordMessageSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    channelId: { type: String, required: true },
    role: { type: String, enum: ['alert', 'timeline', 'checklist', 'resolution', 'file'], required: true },
    /** Alerts in the incident channel show customer identifiers; copies elsewhere do not. */
    incidentChannel: { type: Boolean, required: true },
    /** role checklist: the runbook whose checklist it is. */
    runbookId: String,
    claimedAt: { type: Date, required: true },
    messageId: String,
  },
  { collection: 'discordmessages', versionKey: false },
);
discordMessageSchema.index({ incidentId: 1, role: 1 });
discordMessageSchema.index({ messageId: 1 });

export type DiscordMessageDoc = InferSchemaType<typeof discordMessageSchema>;
export const DiscordMessage = model('DiscordMessage', discordMessageSchema);
