import fs from 'node:fs/promises';
import path from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { PROJECT_ROOT } from '../config';
import { formatFieldPath, formatProblem, type DirectoryProblem, type PathSegment } from '../directory/parse-route-file';
import { id as directoryId } from '../directory/schema';
import { FAILURE_TAXONOMY } from '../models/route-health-snapshot';
import { SEVERITIES } from '../models/shared';

/**
 * Runbooks: Markdown files in runbooks/ with YAML front matter (runbooks/README.md shows the
 * format). Routes name them by id; incidents get the route's runbooks plus those whose
 * `matches` cover the failure taxonomy or the incident's lifecycle events.
 */

export const DEFAULT_RUNBOOK_DIR = path.join(PROJECT_ROOT, 'runbooks');

/**
 * What happens to an incident, besides why its route is unhealthy, that a runbook can match:
 * a route flapping, a fail-over that no backup path verified, an outage inside a maintenance
 * window. Callers pass these in the same list as the failure taxonomy.
 */
export const RUNBOOK_EVENTS = ['flapping', 'failover_failed', 'maintenance'] as const;
export type RunbookEvent = (typeof RUNBOOK_EVENTS)[number];

/** Every value a runbook's `matches` may hold: the failure taxonomy, then the events. */
export const RUNBOOK_MATCHES = [...FAILURE_TAXONOMY, ...RUNBOOK_EVENTS] as const;
export type RunbookMatch = (typeof RUNBOOK_MATCHES)[number];

const checklistItemId = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase-kebab (letters, digits and single dashes)');
const commands = z.array(z.string().trim().min(1, 'must not be empty')).min(1, 'must list at least one command').optional();
const diagnosticsSchema = z.strictObject({ 'ios-xe': commands, junos: commands, eos: commands });
export const RUNBOOK_VENDORS = Object.keys(diagnosticsSchema.shape);

const frontMatterSchema = z.strictObject({
  id: directoryId(),
  title: z.string().trim().min(1, 'must not be empty').max(150, 'must be at most 150 characters'),
  matches: z.array(z.enum(RUNBOOK_MATCHES)).min(1, 'must list at least one failure taxonomy value or event'),
  severity: z.enum(SEVERITIES),
  checklist: z
    .array(z.strictObject({ id: checklistItemId, text: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters') }))
    .min(1, 'must have at least one item')
    .max(20, 'must have at most 20 items')
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate checklist id "${item.id}"` });
        seen.add(item.id);
      });
    }),
  diagnostics: diagnosticsSchema.default({}),
});

export interface ChecklistItem {
  id: string;
  text: string;
}

export interface Runbook {
  id: string;
  title: string;
  /** Failure taxonomy values and RUNBOOK_EVENTS this runbook is for. */
  matches: string[];
  severity: (typeof SEVERITIES)[number];
  checklist: ChecklistItem[];
  /** Vendor (`ios-xe`, `junos`, `eos`) → show commands; `<if>` and friends are placeholders. */
  diagnostics: Record<string, string[]>;
  /** The Markdown after the front matter. */
  body: string;
  /** Absolute path of the file it came from. */
  file: string;
}

export interface RunbookLibrary {
  get(id: string): Runbook | undefined;
  /** Every runbook, by id. */
  all(): Runbook[];
  /**
   * The route's named runbooks that exist (in the route's order), then runbooks whose
   * `matches` cover a value of `taxonomy` (failure taxonomy values and RUNBOOK_EVENTS mixed,
   * in that list's order, then by id), each once.
   */
  forIncident(routeRunbookIds: readonly string[], taxonomy: readonly string[]): Runbook[];
}

/** Runbooks that cannot be loaded; `problems` lists every reason in every file. */
/** The part of the runbook library a view or a packet needs. */
export type RunbookSource = Pick<RunbookLibrary, 'forIncident' | 'get'>;
/** The runbooks of an incident: those its routes name, then those matching what is wrong. */
export function incidentRunbooks(library: RunbookSource, routes: { runbooks: string[] }[], taxonomy: string[]) {
  return library.forIncident([...new Set(routes.flatMap((r) => r.runbooks))], taxonomy);
}

export class RunbookError extends Error {
  constructor(readonly problems: DirectoryProblem[]) {
    super(`invalid runbooks:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'RunbookError';
  }
}

/** Reads and validates every `*.md` runbook in dir (README.md aside); throws one RunbookError listing all problems. */
export async function loadRunbooks(dir: string = DEFAULT_RUNBOOK_DIR): Promise<RunbookLibrary> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.md') && n.toLowerCase() !== 'readme.md').sort();
  } catch (err) {
    throw new RunbookError([{ file: dir, field: '', message: `cannot read the runbook folder (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  const runbooks: Runbook[] = [];
  const problems: DirectoryProblem[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const text = await readText(file);
    const result = typeof text === 'string' ? parseRunbook(text, file) : { problems: [text] };
    if ('problems' in result) problems.push(...result.problems);
    else runbooks.push(result.runbook);
  }
  if (problems.length > 0) throw new RunbookError(problems);
  return createRunbookLibrary(runbooks);
}

export function createRunbookLibrary(runbooks: readonly Runbook[]): RunbookLibrary {
  const byId = new Map([...runbooks].sort((a, b) => a.id.localeCompare(b.id)).map((r) => [r.id, r]));
  return {
    get: (id) => byId.get(id),
    all: () => [...byId.values()],
    forIncident(routeRunbookIds, taxonomy) {
      const picked = new Map<string, Runbook>();
      for (const id of routeRunbookIds) {
        const runbook = byId.get(id);
        if (runbook && !picked.has(id)) picked.set(id, runbook);
      }
      for (const kind of taxonomy) {
        for (const runbook of byId.values()) if (runbook.matches.includes(kind) && !picked.has(runbook.id)) picked.set(runbook.id, runbook);
      }
      return [...picked.values()];
    },
  };
}

/** `${baseUrl}/${id}.md` when a base URL is configured, else undefined. */
export function runbookUrl(id: string, baseUrl?: string): string | undefined {
  const base = baseUrl?.trim().replace(/\/+$/, '');
  return base ? `${base}/${encodeURIComponent(id)}.md` : undefined;
}

async function readText(file: string): Promise<string | DirectoryProblem> {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(await fs.readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { file, field: '', message: code ? `cannot read the file (${code})` : 'file is not valid UTF-8 text' };
  }
}

/** Splits off and validates the front matter of one runbook file. */
export function parseRunbook(text: string, file: string): { runbook: Runbook } | { problems: DirectoryProblem[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const end = lines.findIndex((line, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(line));
  if (!/^---\s*$/.test(lines[0] ?? '') || end < 0) {
    return { problems: [{ file, line: 1, field: '', message: 'must start with YAML front matter between two "---" lines' }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(lines.slice(1, end).join('\n'), { lineCounter, prettyErrors: false, uniqueKeys: true });
  // The front matter starts on the file's second line.
  const at = (offset?: number) => (offset === undefined ? { line: 1 } : { line: lineCounter.linePos(offset).line + 1, column: lineCounter.linePos(offset).col });
  if (doc.errors.length > 0) {
    return { problems: doc.errors.map((e) => ({ file, ...at(e.pos[0]), field: '', message: `YAML syntax: ${e.message.split('\n')[0]}` })) };
  }
  const data: unknown = doc.toJS();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { problems: [{ file, line: 2, field: '', message: 'front matter must be a YAML mapping with id, title, matches, severity and checklist' }] };
  }
  const parsed = frontMatterSchema.safeParse(data, { reportInput: true });
  const problems: DirectoryProblem[] = parsed.success
    ? []
    : parsed.error.issues.flatMap(describeIssue).map((p) => ({ file, ...at(offsetOf(doc, p.path, p.atKey)), field: formatFieldPath(p.path), message: p.message }));
  const expectedId = path.basename(file, '.md');
  if (parsed.success && parsed.data.id !== expectedId) {
    problems.push({ file, ...at(offsetOf(doc, ['id'])), field: 'id', message: `"${parsed.data.id}" does not match the file name (expected "${expectedId}")` });
  }
  const body = lines.slice(end + 1).join('\n').trim();
  if (!body) problems.push({ file, line: end + 2, field: '', message: 'has no steps: write the runbook below the front matter' });
  if (!parsed.success || problems.length > 0) return { problems };
  const { diagnostics, ...front } = parsed.data;
  const vendors = Object.entries(diagnostics).filter((e): e is [string, string[]] => e[1] !== undefined);
  return { runbook: { ...front, diagnostics: Object.fromEntries(vendors), body, file } };
}

/** A zod issue in operator wording; an unknown field points at its key. */
function describeIssue(issue: z.core.$ZodIssue): { path: PathSegment[]; message: string; atKey?: boolean }[] {
  const at = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...at, key], atKey: true, message: `unknown field${at.at(-1) === 'diagnostics' ? ` (vendors: ${RUNBOOK_VENDORS.join(', ')})` : ''}` }));
    case 'invalid_type':
      return [{ path: at, message: issue.input === undefined ? 'is required' : `expected ${issue.expected}` }];
    case 'invalid_value':
      return [{ path: at, message: issue.input === undefined ? 'is required' : `must be one of ${issue.values.map(String).join(', ')}` }];
    default:
      return [{ path: at, message: issue.message }];
  }
}

/** Offset of the YAML node (or its key) at path, or of its nearest existing ancestor. */
function offsetOf(doc: Document, at: readonly PathSegment[], atKey = false): number | undefined {
  if (atKey) {
    const parent = doc.getIn(at.slice(0, -1), true);
    const pair = isMap(parent) ? parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === at.at(-1)) : undefined;
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  for (let depth = at.length; depth > 0; depth--) {
    const node = doc.getIn(at.slice(0, depth), true) as Node | undefined;
    if (node?.range) return node.range[0];
  }
  return doc.contents?.range?.[0];
}
