import { model, Schema, type InferSchemaType } from 'mongoose';
import { actorSchema, SUBDOC } from './shared';

const probeSchema = new Schema(
  {
    kind: { type: String, enum: ['icmp', 'icmp-batch', 'snmp'], required: true },
    // icmp / icmp-batch
    target: String,
    count: Number,
    intervalMs: Number,
    timeoutMs: Number,
    /** Sends from this interface / local address of the probing host (a path's probe measures that path). */
    interface: String,
    source: String,
    // snmp
    agent: String,
    port: Number,
    version: { type: String, enum: ['2c', '3'] },
    community: String,
    user: String,
    authProtocol: String,
    authKeyEnv: String,
    privProtocol: String,
    privKeyEnv: String,
    check: new Schema(
      {
        type: { type: String, enum: ['ifOperStatus', 'bgpPeerState', 'oid'], required: true },
        ifIndex: Number,
        ifName: String,
        peer: String,
        oid: String,
        expect: Schema.Types.Mixed,
      },
      SUBDOC,
    ),
  },
  SUBDOC,
);

const pathSchema = new Schema(
  {
    id: { type: String, required: true },
    role: { type: String, enum: ['primary', 'backup'], required: true },
    nextHop: { type: String, required: true },
    interface: String,
    description: String,
    probe: probeSchema,
  },
  SUBDOC,
);

const maintenanceWindowSchema = new Schema(
  {
    start: { type: Date, required: true },
    end: { type: Date, required: true },
    reason: { type: String, required: true },
    /**
     * file: from routes.yaml (replaced on import); api: from a PUT body (kept on import); chat: opened by
     * `maint` before run-time windows became MaintenanceWindow documents (kept, and read with them).
     */
    source: { type: String, enum: ['file', 'chat', 'api'], required: true },
    createdBy: actorSchema,
  },
  SUBDOC,
);

/** A monitored route: what to probe, its paths, who owns it, and its policies. */
const routeSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
    environment: { type: String, required: true },
    primary: { type: Boolean, required: true },
    routeClass: { type: String, required: true },
    destination: String,
    intervalSec: { type: Number, required: true, min: 1 },
    probes: {
      type: [probeSchema],
      validate: { validator: (v: unknown[]) => v.length > 0, message: 'a route needs at least one probe' },
    },
    paths: {
      type: [pathSchema],
      validate: {
        validator: (v: { role: string }[]) => v.filter((p) => p.role === 'primary').length === 1,
        message: 'a route needs exactly one primary path',
      },
    },
    dependencies: { type: [String], default: [] },
    owner: { type: new Schema({ team: { type: String, required: true }, contact: String }, SUBDOC), required: true },
    /** Sensitive: only read on purpose (`.select('+customerIds')`) for permitted viewers. */
    customerIds: { type: [String], default: [], select: false },
    maintenance: { type: [maintenanceWindowSchema], default: [] },
    runbooks: { type: [String], default: [] },
    failoverPolicy: String,
    escalationPolicy: String,
    /** Provenance of the file-managed fields. */
    source: new Schema({ file: String, sha256: String, importedAt: Date }, SUBDOC),
  },
  { timestamps: true, collection: 'routes' },
);
routeSchema.index({ routeClass: 1 });
routeSchema.index({ dependencies: 1 });
routeSchema.index({ 'owner.team': 1 });
routeSchema.index({ environment: 1, primary: 1 });

export type RouteRecordDoc = InferSchemaType<typeof routeSchema>;
export const RouteRecord = model('RouteRecord', routeSchema);
