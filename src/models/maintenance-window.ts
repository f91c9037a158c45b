import { model, Schema, type InferSchemaType } from 'mongoose';
import { actorSchema } from './shared';

/**
 * A maintenance window opened at run time (the `maint` command), stored as its own
 * insert-once document keyed by the request that opened it (`<platform>:<request id>`), so a
 * retried request opens it once. Route documents are replaced whole by the file import and
 * PUT /api/v1/routes/:id, and FerretDB 1.x does not apply concurrent updates of one document
 * atomically: a window pushed into the route document could be lost to them. Windows
 * declared in routes.yaml (or a PUT body) stay in the route document.
 */
const maintenanceWindowSchema = new Schema(
  {
    _id: { type: String, required: true },
    routeId: { type: String, required: true },
    start: { type: Date, required: true },
    end: {
      type: Date,
      required: true,
      validate: { validator: function (this: { start: Date }, end: Date) { return end > this.start; }, message: 'end must be after start' },
    },
    reason: { type: String, required: true, maxlength: 1000 },
    createdBy: { type: actorSchema, required: true },
    /** chat: the `maint` command (from Slack, Discord or the API's command endpoints). */
    source: { type: String, enum: ['chat'], required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, collection: 'maintenancewindows', versionKey: false },
);
maintenanceWindowSchema.index({ routeId: 1, start: 1 });

export type MaintenanceWindowDoc = InferSchemaType<typeof maintenanceWindowSchema>;
export const MaintenanceWindow = model('MaintenanceWindow', maintenanceWindowSchema);
