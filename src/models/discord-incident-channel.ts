import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * The Discord channel of one incident (`_id` = incident id). Inserting it is the claim to
 * create the channel; the Discord notifier that holds the claim is its only writer. A claim
 * without channelId after a crash is settled by looking the channel up by name in the guild.
 */
const discordIncidentChannelSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    guildId: { type: String, required: true },
    channelId: String,
    claimedAt: { type: Date, required: true },
    /** Set once the channel is fully set up (alert pinned, checklists posted). */
    readyAt: Date,
    /** Set when the channel was locked (and moved to the archive category) after resolution. */
    lockedAt: Date,
  },
  { collection: 'discordincidentchannels', versionKey: false },
);
discordIncidentChannelSchema.index({ channelId: 1 });

export type DiscordIncidentChannelDoc = InferSchemaType<typeof discordIncidentChannelSchema>;
export const DiscordIncidentChannel = model('DiscordIncidentChannel', discordIncidentChannelSchema);
