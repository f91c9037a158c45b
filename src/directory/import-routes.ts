/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument --
   each plan step carries a different mongoose model (typed any); every document is validated by its model before writing. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Error as MongooseError, Model } from 'mongoose';
import type { Logger } from '../logger';
import type { Models } from '../models';
import { checkWebhookTargets } from './check-webhook-targets';
import { formatProblem, locateProblems, readRouteFile, RouteFileError, type DirectoryProblem } from './parse-route-file';
import type { RouteFile, RouteSpec } from './schema';

/** Replacements per bulkWrite: FerretDB 1.24 hangs on one of 100 or more update statements. */
const BULK_CHUNK = 50;

type Actor = { platform: 'cli' | 'api' | 'system' | 'slack' | 'discord'; id: string; name?: string };
type Doc = { _id: string } & Record<string, unknown>;
type SectionName = 'classes' | 'teams' | 'notificationPreferences' | 'dependencies' | 'escalationPolicies' | 'failoverPolicies' | 'routes';

export interface SectionCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportResult {
  file: string;
  sha256: string;
  sections: Record<SectionName, SectionCounts>;
  /** Routes in the database that this file does not mention (left as they are). */
  routesNotInFile: string[];
  /** Advice about the file that did not stop the import (e.g. a primary path probe that follows the active route). */
  warnings: DirectoryProblem[];
}

/**
 * Validates a route file completely, then upserts every entry. All or nothing: a file with
 * any problem writes nothing, and a write that fails part-way is rolled back to the
 * documents as they were (FerretDB has no multi-document transactions).
 */
export async function importRouteFile(
  file: string,
  deps: { models: Models; maxBytes: number; actor: Actor; logger: Logger },
): Promise<ImportResult> {
  const { routeFile, text, warnings } = readRouteFile(file, deps.maxBytes);
  for (const w of warnings) deps.logger.warn({ file, field: w.field }, `route file warning: ${formatProblem(w)}`);
  const webhookProblems = await checkWebhookTargets(routeFile, deps.models);
  if (webhookProblems.length > 0) throw new RouteFileError(locateProblems(text, file, webhookProblems));
  const sha256 = createHash('sha256').update(text).digest('hex');
  const now = new Date();
  const plan = buildPlan(routeFile, deps.models, { file: path.resolve(file), sha256, importedAt: now });

  // One read of each (small) directory collection: FerretDB answers a large `$in` slowly.
  const before = new Map<SectionName, Map<string, Doc>>();
  for (const step of plan) {
    const query = step.model.find().lean<Doc[]>();
    const existing = step.name === 'routes' ? await query.select('+customerIds') : await query;
    const wanted = new Set(step.docs.map((d) => d._id));
    before.set(step.name, new Map(existing.filter((d) => wanted.has(d._id)).map((d) => [d._id, d])));
  }
  keepRunTimeMaintenance(plan, before);
  await validateWithModels(plan, file);

  const sections = {} as Record<SectionName, SectionCounts>;
  const written: { step: PlanStep; ids: string[] }[] = [];
  try {
    for (const step of plan) {
      const old = before.get(step.name)!;
      const changed = step.docs.filter((d) => !sameContent(step.model, d, old.get(d._id)));
      sections[step.name] = {
        created: changed.filter((d) => !old.has(d._id)).length,
        updated: changed.filter((d) => old.has(d._id)).length,
        unchanged: step.docs.length - changed.length,
      };
      if (changed.length === 0) continue;
      written.push({ step, ids: changed.map((d) => d._id) });
      const stamped = (d: Doc) => ({ ...d, createdAt: old.get(d._id)?.createdAt ?? now, updatedAt: now });
      if (step.name === 'routes') {
        for (const d of changed) deps.logger.info({ routeId: d._id, change: old.has(d._id) ? 'updated' : 'created' }, 'route written');
      }
      // New documents are inserted in bulk; only changed ones are replaced one by one.
      const fresh = changed.filter((d) => !old.has(d._id));
      const replaced = changed.filter((d) => old.has(d._id));
      if (fresh.length > 0) await step.model.insertMany(fresh.map(stamped), { ordered: true, lean: true });
      // In chunks: FerretDB 1.24 hangs on a bulkWrite of 100 or more update statements (measured).
      for (let i = 0; i < replaced.length; i += BULK_CHUNK) {
        await step.model.bulkWrite(
          replaced.slice(i, i + BULK_CHUNK).map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: stamped(d) } })),
          { ordered: true, timestamps: false },
        );
      }
    }
  } catch (err) {
    deps.logger.error({ err, file }, 'route import failed while writing; restoring the previous documents');
    await rollBack(written, before, deps.logger);
    throw err;
  }

  const inFile = new Set(routeFile.routes.map((r) => r.id));
  const allRouteIds = (await deps.models.RouteRecord.find({}, { _id: 1 }).lean<{ _id: string }[]>()).map((r) => r._id);
  const result: ImportResult = { file: path.resolve(file), sha256, sections, routesNotInFile: allRouteIds.filter((id) => !inFile.has(id)), warnings };
  await deps.models.AuditEntry.create({
    actor: deps.actor,
    action: 'routes.import',
    target: { kind: 'route-file', id: result.file },
    outcome: 'ok',
    after: { sha256, sections },
  });
  deps.logger.info({ file: result.file, sha256, sections }, 'route file imported');
  return result;
}

interface PlanStep {
  name: SectionName;
  // Each step's model differs; documents are plain objects validated by it before writing.
  model: Model<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  docs: Doc[];
}

/** The documents each collection should hold after the import, in write order. */
function buildPlan(f: RouteFile, m: Models, source: { file: string; sha256: string; importedAt: Date }): PlanStep[] {
  const withId = <T extends { id: string }>({ id, ...rest }: T) => ({ _id: id, ...rest });
  return [
    { name: 'classes', model: m.RouteClass, docs: f.classes.map(withId) },
    { name: 'teams', model: m.Team, docs: f.teams.map(({ notify: _notify, ...t }) => withId(t)) },
    {
      name: 'notificationPreferences',
      model: m.NotificationPreference,
      docs: f.teams.map((t) => ({ _id: `team:${t.id}`, subject: { kind: 'team', id: t.id }, channels: t.notify })),
    },
    { name: 'dependencies', model: m.Dependency, docs: f.dependencies.map(withId) },
    { name: 'escalationPolicies', model: m.EscalationPolicy, docs: f.escalationPolicies.map(withId) },
    { name: 'failoverPolicies', model: m.FailoverPolicy, docs: f.failoverPolicies.map(withId) },
    { name: 'routes', model: m.RouteRecord, docs: f.routes.map((r) => routeDocument(r, { maintenanceSource: 'file', source })) },
  ];
}

/** A route as routes.yaml declares it → its RouteRecord document (the file importer and PUT /api/v1/routes/:id). */
export function routeDocument(
  { id, class: routeClass, maintenance, ...r }: RouteSpec,
  how: { maintenanceSource: 'file' | 'api'; source: { file: string; sha256?: string; importedAt: Date } },
): Doc {
  return {
    _id: id,
    ...r,
    routeClass,
    maintenance: maintenance.map((w) => ({ start: new Date(w.start), end: new Date(w.end), reason: w.reason, source: how.maintenanceSource })),
    source: how.source,
  };
}

/**
 * Windows declared by PUT /api/v1/routes/:id, and chat windows stored in route documents before
 * run-time windows got their own MaintenanceWindow documents, are not the file's to remove.
 */
function keepRunTimeMaintenance(plan: PlanStep[], before: Map<SectionName, Map<string, Doc>>): void {
  const routes = plan.find((s) => s.name === 'routes')!;
  const old = before.get('routes')!;
  for (const doc of routes.docs) {
    const kept = ((old.get(doc._id)?.maintenance as { source: string }[] | undefined) ?? []).filter((w) => w.source !== 'file');
    doc.maintenance = [...(doc.maintenance as unknown[]), ...kept];
  }
}

/** The models' own validators run too, so nothing the database would refuse is half-written. */
async function validateWithModels(plan: PlanStep[], file: string): Promise<void> {
  const problems = [];
  for (const step of plan) {
    for (const doc of step.docs) {
      try {
        await new step.model(doc).validate();
      } catch (err) {
        const errors = (err as MongooseError.ValidationError).errors ?? {};
        problems.push(...Object.values(errors).map((e) => ({ file, field: `${step.name}[${doc._id}].${e.path}`, message: e.message })));
      }
    }
  }
  if (problems.length > 0) throw new RouteFileError(problems);
}

function sameContent(model: Model<unknown>, next: Doc, old: Doc | undefined): boolean {
  if (!old) return false;
  // Timestamps and provenance of the document itself; a nested field of the same name (a probe's `source` address) is content.
  const normalise = (d: Doc) => {
    const { createdAt: _c, updatedAt: _u, source: _s, __v: _v, ...content } = new model(d).toObject({ versionKey: false }) as Record<string, unknown>;
    return JSON.stringify(content, (_key, value: unknown) => sortKeys(value));
  };
  return normalise(next) === normalise(old);
}

function sortKeys(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
}

async function rollBack(written: { step: PlanStep; ids: string[] }[], before: Map<SectionName, Map<string, Doc>>, logger: Logger) {
  for (const { step, ids } of written.reverse()) {
    const old = before.get(step.name)!;
    for (const id of ids) {
      try {
        const previous = old.get(id);
        // Through the driver, so the restored document is byte for byte what was read.
        if (previous) await step.model.collection.replaceOne({ _id: id as never }, previous);
        else await step.model.collection.deleteOne({ _id: id as never });
      } catch (err) {
        logger.error({ err, collection: step.name, id }, 'could not restore a document after a failed import');
      }
    }
  }
}
