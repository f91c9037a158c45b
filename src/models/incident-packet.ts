import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * The latest incident packet of an incident (`_id` = incident id): the PDF and its Markdown
 * export. Its one writer is the packet generator (the packet activity), which replaces the
 * whole document on regeneration (replaceOne with upsert): no concurrent partial updates,
 * which FerretDB 1.x would not make atomic.
 */
const incidentPacketSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    generatedAt: { type: Date, required: true },
    pdf: { type: Buffer, required: true },
    pdfBytes: { type: Number, required: true, min: 0 },
    pages: { type: Number, min: 1 },
    markdown: { type: String, required: true },
    /** SHA-256 of the packet's HTML with the generation time fixed: equal means a new print would say nothing new. */
    contentHash: String,
    /** When it was printed within the last hour (this print included): the on-demand limit counts them. */
    renders: { type: [{ type: Date }], default: undefined },
    /** The Slack incident channel this PDF (this contentHash) was shared in. */
    sharedIn: String,
    /**
     * The downsampled chart series, kept once their time window has closed: snapshots in a
     * closed window do not change, reading them again is the slow part of a packet, and raw
     * snapshots expire (retention) while the packet stays.
     */
    charts: Schema.Types.Mixed,
  },
  { collection: 'incidentpackets', versionKey: false },
);

export type IncidentPacketDoc = InferSchemaType<typeof incidentPacketSchema>;
export const IncidentPacket = model('IncidentPacket', incidentPacketSchema);
