import { model, Schema, type InferSchemaType } from 'mongoose';

/**
 * One run of a failover policy's executor, keyed by the activity's idempotency key. The
 * document is inserted (status `running`) before the executor runs: FerretDB 1.x keeps _id
 * unique but does not make concurrent updates of one document atomic, so the insert is what
 * guarantees that one key runs the executor at most once. Only the run that inserted it
 * updates it afterwards. Never holds secrets (webhook secrets and SNMP communities stay in
 * the environment; command argv is rendered from route data only).
 */
const executorRunSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    routeId: { type: String, required: true },
    policyId: { type: String, required: true },
    direction: { type: String, enum: ['failover', 'failback'], required: true },
    fromPathId: { type: String, required: true },
    toPathId: { type: String, required: true },
    kind: { type: String, enum: ['command', 'webhook', 'snmp-set'], required: true },
    status: { type: String, enum: ['running', 'finished'], required: true },
    startedAt: { type: Date, required: true },
    /** When the run must have ended (start + executor timeout + grace): a twin waits no longer. */
    deadline: { type: Date, required: true },
    finishedAt: Date,
    ok: Boolean,
    detail: String,
    /** command: the rendered argv and the exit code (null when a signal ended it). */
    argv: { type: [String], default: undefined },
    exitCode: Number,
  },
  { collection: 'executorruns', versionKey: false },
);
executorRunSchema.index({ incidentId: 1, startedAt: 1 });

export type ExecutorRunDoc = InferSchemaType<typeof executorRunSchema>;
export const ExecutorRun = model('ExecutorRun', executorRunSchema);
