import { model, Schema, type InferSchemaType } from 'mongoose';
import { SUBDOC } from './shared';

/** Who is paged, and when, while nobody has acknowledged an incident. */
const escalationPolicySchema = new Schema(
  {
    _id: { type: String, required: true },
    levels: {
      type: [new Schema({ afterSec: { type: Number, required: true, min: 0 }, notify: { type: [String], required: true } }, SUBDOC)],
      validate: { validator: (v: unknown[]) => v.length > 0, message: 'an escalation policy needs at least one level' },
    },
    repeat: { type: Number, required: true, min: 0 },
    repeatEverySec: { type: Number, required: true, min: 30 },
  },
  { timestamps: true, collection: 'escalationpolicies' },
);

export type EscalationPolicyDoc = InferSchemaType<typeof escalationPolicySchema>;
export const EscalationPolicy = model('EscalationPolicy', escalationPolicySchema);
