import { model, Schema, type InferSchemaType } from 'mongoose';
import { SUBDOC } from './shared';

/** How (command, webhook, SNMP SET) and when a route moves to a backup path and back. */
const executorSchema = new Schema(
  {
    kind: { type: String, enum: ['command', 'webhook', 'snmp-set'], required: true },
    argv: { type: [String], default: undefined },
    env: { type: [String], default: undefined },
    url: String,
    secretEnv: String,
    timeoutSec: Number,
    agent: String,
    port: Number,
    communityEnv: String,
    oid: String,
    type: { type: String },
    value: String,
  },
  SUBDOC,
);

const failoverPolicySchema = new Schema(
  {
    _id: { type: String, required: true },
    mode: { type: String, enum: ['automatic', 'manual'], required: true },
    failoverThreshold: { type: Number, required: true, min: 0, max: 100 },
    failbackThreshold: { type: Number, required: true, min: 0, max: 100 },
    failbackDelaySec: { type: Number, required: true, min: 0 },
    failbackMode: { type: String, enum: ['automatic', 'approval'], required: true },
    executor: { type: executorSchema, required: true },
  },
  { timestamps: true, collection: 'failoverpolicies' },
);

export type FailoverPolicyDoc = InferSchemaType<typeof failoverPolicySchema>;
export const FailoverPolicy = model('FailoverPolicy', failoverPolicySchema);
