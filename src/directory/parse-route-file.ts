import fs from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { checkReferences } from './check-references';
import { checkPathProbes } from './path-probe-warnings';
import { routeFileSchema, type RouteFile } from './schema';

export interface DirectoryProblem {
  file: string;
  line?: number;
  column?: number;
  /** Dotted path of the field, e.g. routes[3].paths[0].nextHop ('' for the whole file). */
  field: string;
  message: string;
}

export function formatProblem(p: DirectoryProblem): string {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

/** A route file that cannot be imported; `problems` lists every reason found. */
export class RouteFileError extends Error {
  constructor(readonly problems: DirectoryProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'RouteFileError';
  }
}

export type PathSegment = string | number;

export function formatFieldPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** A valid route file and the warnings about it (advice that does not stop an import). */
export interface ParsedRouteFile {
  routeFile: RouteFile;
  warnings: DirectoryProblem[];
}

/** Reads and validates a route file: size, encoding, YAML syntax, schema, references. */
export function readRouteFile(file: string, maxBytes: number): ParsedRouteFile & { text: string } {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new RouteFileError([{ file, field: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  if (size > maxBytes) {
    throw new RouteFileError([
      { file, field: '', message: `file is ${size} bytes; the limit is ${maxBytes} bytes (STATETRACE_ROUTES_MAX_BYTES)` },
    ]);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file));
  } catch {
    throw new RouteFileError([{ file, field: '', message: 'file is not valid UTF-8 text' }]);
  }
  return { ...parseRouteFileWithWarnings(text, file), text };
}

export function parseRouteFile(text: string, file: string): RouteFile {
  return parseRouteFileWithWarnings(text, file).routeFile;
}

export function parseRouteFileWithWarnings(text: string, file: string): ParsedRouteFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    throw new RouteFileError(
      doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0].line,
        column: e.linePos?.[0].col,
        field: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new RouteFileError([{ file, field: '', message: `YAML: ${(err as Error).message}` }]);
  }
  const locate = (path: readonly PathSegment[], pointAtKey = false) => ({ file, ...positionOf(doc, lineCounter, path, pointAtKey) });
  const parsed = routeFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    throw new RouteFileError(parsed.error.issues.flatMap((issue) => describeIssue(issue)).map((p) => ({ ...locate(p.path, p.pointAtKey), field: formatFieldPath(p.path), message: p.message })));
  }
  const referenceProblems = checkReferences(parsed.data);
  if (referenceProblems.length > 0) {
    throw new RouteFileError(referenceProblems.map((p) => ({ ...locate(p.path), field: formatFieldPath(p.path), message: p.message })));
  }
  const warnings = checkPathProbes(parsed.data).map((w) => ({ ...locate(w.path), field: formatFieldPath(w.path), message: w.message }));
  return { routeFile: parsed.data, warnings };
}

/** Problems found in a parsed file afterwards (e.g. against the database), placed in its text like the parser's own. */
export function locateProblems(text: string, file: string, problems: { path: PathSegment[]; message: string }[]): DirectoryProblem[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true });
  return problems.map((p) => ({ file, ...positionOf(doc, lineCounter, p.path, false), field: formatFieldPath(p.path), message: p.message }));
}

/** Turns a zod issue into operator wording; an unknown key points at the key itself. */
function describeIssue(issue: z.core.$ZodIssue): { path: PathSegment[]; message: string; pointAtKey?: boolean }[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: 'unknown field', pointAtKey: true }));
    case 'invalid_type':
      return [{ path, message: issue.input === undefined ? 'is required' : `expected ${issue.expected}, got ${describeInput(issue.input)}` }];
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return [{ path, message: options ? `must be one of ${options.join(', ')}` : issue.message }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`.slice(0, 60);
}

/** Line/column of the YAML node at path (its key, for pointAtKey), or of its nearest existing ancestor. */
function positionOf(doc: Document, lc: LineCounter, path: readonly PathSegment[], pointAtKey: boolean): { line?: number; column?: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = pointAtKey && depth === path.length ? keyNodeAt(doc, path) : (doc.getIn(path.slice(0, depth), true) as Node | undefined);
    const offset = depth === 0 ? (doc.contents)?.range?.[0] : node?.range?.[0];
    if (offset !== undefined) {
      const { line, col } = lc.linePos(offset);
      return { line, column: col };
    }
  }
  return {};
}

function keyNodeAt(doc: Document, path: readonly PathSegment[]): Node | undefined {
  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[path.length - 1]);
  return pair && isScalar(pair.key) ? pair.key : undefined;
}
