import type { UpdateIncidentInput } from '../activities/outage-contract';
import { store } from './activities';
import type { OutagePhase } from './messages';
import type { Outage } from './outage';

export type IncidentFields = UpdateIncidentInput['set'];

/**
 * The incident document's one writer: the outage's own workflow, one write at a time, each
 * with the next revision number. The store ignores a write whose revision is not newer than
 * the document's, so a late retry of an older write (its first attempt timed out, then
 * landed) cannot undo a newer one — FerretDB 1.x does not make concurrent updates atomic.
 */
export function writeIncident(outage: Outage, set: IncidentFields): Promise<void> {
  const revision = ++outage.writes.revision;
  const write = outage.writes.chain.then(async () => void (await store.updateIncident({ incidentId: outage.state.incidentId!, set, revision })));
  outage.writes.chain = write.catch(() => undefined);
  return write;
}

/** Sets the phase and records it (with `extra` fields) on the incident; a resolved outage stays resolved. */
export async function setPhase(outage: Outage, phase: OutagePhase, extra: IncidentFields = {}): Promise<void> {
  const { state } = outage;
  const changed = state.phase !== phase && state.phase !== 'resolved';
  if (changed) state.phase = phase;
  if (changed || Object.keys(extra).length > 0) await writeIncident(outage, { ...extra, ...(changed ? { state: phase } : {}) });
}
