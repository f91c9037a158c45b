import fs from 'node:fs';
import { importRouteFile } from '../../src/directory/import-routes';
import { RouteFileError } from '../../src/directory/parse-route-file';
import { createLogger } from '../../src/logger';
import { models } from '../../src/models';
import { VALID_ROUTE_FILE, writeTempFile } from '../fixtures/route-files';
import { snapshotDatabase, useTestDatabase } from '../support/database';
import { deepNestJson, fuzzSeed, mulberry32, NASTY, randomBytes, randomString, withInvalidUtf8, type Rng } from './fuzz-kit';

/**
 * Hostile route files for the importer (issue 9): random mutations of VALID_ROUTE_FILE —
 * deleted and duplicated lines, swapped values, huge strings, invalid UTF-8 bytes, deep
 * nesting, alias bombs, files over the size limit. Each file either imports or is refused
 * with a RouteFileError that says why; nothing else is thrown, and a refused file leaves
 * every collection exactly as it was.
 */
useTestDatabase('fuzz_import');
const SEED = fuzzSeed(0x5eed0002);
const FILES = 300;
const MAX_BYTES = 64 * 1024;
const logger = createLogger('silent');
const LINES = VALID_ROUTE_FILE.split('\n');

const NOT_AGENDA = (snap: Record<string, unknown[]>) => Object.fromEntries(Object.entries(snap).filter(([c]) => c !== 'agendajobs'));

/** A line's value (after `key: ` or `- `), or undefined. */
const valueAt = (line: string) => /^(\s*(?:- )?[\w]+: |\s*- )(.*)$/.exec(line);

function billionLaughs(r: Rng): string {
  const levels = r.int(3, 9);
  const width = r.int(3, 10);
  const out = ['version: 1', 'bomb:', `  l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < levels; i++) out.push(`  l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
  const body = out.join('\n');
  // Sometimes the bomb is hidden where the schema looks: in a route's name or a class list.
  return r.chance(0.5) ? `${body}\n${VALID_ROUTE_FILE.replace('version: 1\n', '')}` : `${body}\nclasses: *l${levels - 1}\n`;
}

function mutate(r: Rng): { label: string; content: string | Buffer } {
  const lines = [...LINES];
  const kind = r.int(0, 13);
  const at = () => r.int(0, lines.length - 1);
  switch (kind) {
    case 0: {
      for (let n = r.int(1, 4); n > 0; n--) lines.splice(at(), 1);
      return { label: 'deleted lines', content: lines.join('\n') };
    }
    case 1: {
      const [i, j] = [at(), at()];
      const [a, b] = [valueAt(lines[i]!), valueAt(lines[j]!)];
      if (a && b) [lines[i], lines[j]] = [`${a[1]!}${b[2]!}`, `${b[1]!}${a[2]!}`];
      return { label: 'swapped values', content: lines.join('\n') };
    }
    case 2: {
      const i = at();
      const m = valueAt(lines[i]!);
      const huge = r.pick(['x', 'é', '💥', 'a b ', '"']).repeat(r.int(1000, 20_000));
      lines[i] = m ? m[1] + (r.chance(0.5) ? JSON.stringify(huge) : huge) : lines[i] + huge;
      return { label: 'huge value', content: lines.join('\n') };
    }
    case 3: {
      for (let n = r.int(1, 3); n > 0; n--) {
        const i = at();
        const m = valueAt(lines[i]!);
        const v = r.chance(0.5) ? r.pick(NASTY) : randomString(r, 30);
        lines[i] = m ? m[1] + (r.chance(0.5) ? JSON.stringify(v) : v) : v;
      }
      return { label: 'random values', content: lines.join('\n') };
    }
    case 4:
      return { label: 'invalid UTF-8', content: withInvalidUtf8(r, VALID_ROUTE_FILE) };
    case 5:
      return { label: 'random bytes', content: randomBytes(r, r.int(0, 4096)) };
    case 6: {
      const depth = r.int(50, 3000);
      const flow = r.chance(0.5) ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : deepNestJson(depth, false);
      return { label: `nesting ${depth}`, content: r.chance(0.5) ? `${VALID_ROUTE_FILE}extra: ${flow}\n` : VALID_ROUTE_FILE.replace('classes:\n', `classes: ${flow}\nx:\n`) };
    }
    case 7: {
      const depth = r.int(50, 500);
      const block = Array.from({ length: depth }, (_, d) => `${' '.repeat(d * 2)}k${d}:`).join('\n');
      return { label: `block nesting ${depth}`, content: `${VALID_ROUTE_FILE}${block} end\n` };
    }
    case 8:
      return { label: 'alias bomb', content: billionLaughs(r) };
    case 9: {
      const over = MAX_BYTES + r.int(1, 100_000);
      return { label: `oversized ${over} bytes`, content: `${VALID_ROUTE_FILE}# ${'x'.repeat(over - VALID_ROUTE_FILE.length)}\n` };
    }
    case 10: {
      for (let n = r.int(1, 3); n > 0; n--) {
        const i = at();
        lines.splice(i, 0, lines[i]!);
      }
      return { label: 'duplicated lines', content: lines.join('\n') };
    }
    case 11: {
      const i = at();
      lines[i] = r.pick(['\t', ' ', '   ', '']) + lines[i]!.trimStart();
      return { label: 'broken indentation', content: lines.join('\n') };
    }
    case 12: {
      const yamlTricks = ['!!binary aGk=', '!!js/function "x"', '!custom x', '&a x', '*nowhere', '<<: *nowhere', '? complex', '|', '>-', '--- ', '...', '%YAML 1.1', '{', ']', '!!timestamp 2026-01-01', '0x1F', '.inf', '~', 'null', 'yes', '2026-11-25'];
      const i = at();
      const m = valueAt(lines[i]!);
      lines[i] = (m ? m[1] : '') + r.pick(yamlTricks);
      return { label: 'YAML tricks', content: lines.join('\n') };
    }
    default:
      // Valid variants: these import and change the directory.
      return { label: 'valid rename', content: VALID_ROUTE_FILE.replace(/id: r2\b/, `id: r2-${r.int(0, 9)}`).replace('Route one', `Route one ${r.int(0, 99)}`) };
  }
}

describe('fuzz: importRouteFile', () => {
  it(`imports or refuses ${FILES} mutated route files with a RouteFileError, and a refusal changes nothing (seed ${SEED})`, async () => {
    await importRouteFile(writeTempFile(VALID_ROUTE_FILE), { models, maxBytes: MAX_BYTES, actor: { platform: 'cli', id: 'fuzz' }, logger });
    const r = mulberry32(SEED);
    let baseline = NOT_AGENDA(await snapshotDatabase());
    const crashes: string[] = [];
    let imported = 0;
    let refused = 0;
    for (let i = 0; i < FILES; i++) {
      const { label, content } = mutate(r);
      const file = writeTempFile(content);
      try {
        await importRouteFile(file, { models, maxBytes: MAX_BYTES, actor: { platform: 'cli', id: 'fuzz' }, logger });
        imported++;
        baseline = NOT_AGENDA(await snapshotDatabase());
      } catch (err) {
        if (!(err instanceof RouteFileError) || !err.message.trim()) {
          crashes.push(`#${i} ${label}: ${(err as Error)?.name} ${String((err as Error)?.message).slice(0, 200)}`);
          continue;
        }
        refused++;
        const after = NOT_AGENDA(await snapshotDatabase());
        try {
          expect(after).toEqual(baseline);
        } catch {
          crashes.push(`#${i} ${label}: refused, but the database changed`);
          baseline = after;
        }
      } finally {
        fs.rmSync(file, { force: true });
      }
    }
    console.log(`fuzz importer: seed ${SEED}, ${FILES} files (${imported} imported, ${refused} refused), ${crashes.length} crashes`);
    expect(crashes).toEqual([]);
    expect(refused).toBeGreaterThan(FILES / 2);
  }, 120_000);
});
