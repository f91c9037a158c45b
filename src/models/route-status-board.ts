import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * The latest scored measurement of every route of one sweeper shard (`_id` = `shard:<n>`),
 * in `routes` keyed by route id (dots escaped, see status-board.ts). The sweeper updates the
 * routes that changed every few seconds; status APIs and /metrics read these few documents
 * instead of the snapshot history (which FerretDB 1.x could only scan).
 */
const routeStatusBoardSchema = new Schema(
  {
    _id: { type: String, required: true },
    shard: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
    routes: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'routestatusboards', versionKey: false, minimize: false },
);

export type RouteStatusBoardDoc = InferSchemaType<typeof routeStatusBoardSchema>;
export const RouteStatusBoard = model('RouteStatusBoard', routeStatusBoardSchema);
