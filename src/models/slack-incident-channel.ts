import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * The Slack channel of one incident (`_id` = incident id). Inserting it is the claim to
 * create the channel (FerretDB 1.x keeps _id unique, not concurrent updates atomic); the
 * Slack notifier that holds the claim is then its only writer, and the archive job writes
 * `archivedAt` after resolution.
 */
const slackIncidentChannelSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    channelId: String,
    claimedAt: { type: Date, required: true },
    /** Set once the channel is fully set up (topic, purpose, members). */
    readyAt: Date,
    resolvedAt: Date,
    archiveAt: Date,
    archivedAt: Date,
  },
  { collection: 'slackincidentchannels', versionKey: false },
);
slackIncidentChannelSchema.index({ channelId: 1 });
slackIncidentChannelSchema.index({ archiveAt: 1, archivedAt: 1 });

export type SlackIncidentChannelDoc = InferSchemaType<typeof slackIncidentChannelSchema>;
export const SlackIncidentChannel = model('SlackIncidentChannel', slackIncidentChannelSchema);
