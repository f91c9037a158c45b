import { model, Schema, type InferSchemaType } from 'mongoose';

/** Something routes share (a router, an ISP, a circuit): outages are grouped by it. */
const dependencySchema = new Schema(
  {
    _id: { type: String, required: true },
    kind: { type: String, required: true, enum: ['router', 'switch', 'firewall', 'isp', 'circuit', 'site', 'service', 'other'] },
    description: String,
  },
  { timestamps: true, collection: 'dependencies' },
);

export type DependencyDoc = InferSchemaType<typeof dependencySchema>;
export const Dependency = model('Dependency', dependencySchema);
