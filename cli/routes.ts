import os from 'node:os';
import type { Config } from '../src/config';
import { connectDatabase, disconnectDatabase } from '../src/db/connect';
import { importRouteFile, type ImportResult } from '../src/directory/import-routes';
import { formatProblem, RouteFileError } from '../src/directory/parse-route-file';
import { openStack } from '../src/embedded/stack';
import type { Logger } from '../src/logger';
import { models } from '../src/models';

type Out = (line: string) => void;

/** Runs fn with the database: external, the running `statetrace start`'s, or one started for the command. */
export async function withDatabase<T>(config: Config, logger: Logger, fn: () => Promise<T>): Promise<T> {
  const stack = await openStack(config, logger, { temporal: false, mongo: true }, { reuseRunning: true });
  try {
    await connectDatabase(stack.endpoints.mongoUri!, logger);
    return await fn();
  } finally {
    await disconnectDatabase();
    await stack.stop();
  }
}

export async function importRoutesCommand(config: Config, logger: Logger, file: string, out: Out): Promise<number> {
  try {
    const result = await withDatabase(config, logger, () =>
      importRouteFile(file, {
        models,
        maxBytes: config.routesMaxBytes,
        actor: { platform: 'cli', id: os.userInfo().username },
        logger,
      }),
    );
    printImport(result, out);
    return 0;
  } catch (err) {
    if (!(err instanceof RouteFileError)) throw err;
    out(`routes import: ${err.problems.length} problem(s); nothing was imported`);
    out(err.message);
    return 1;
  }
}

function printImport(result: ImportResult, out: Out): void {
  out(`imported ${result.file} (sha256 ${result.sha256.slice(0, 12)})`);
  for (const [section, c] of Object.entries(result.sections)) {
    out(`  ${section.padEnd(24)} ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged`);
  }
  if (result.routesNotInFile.length > 0) {
    out(`  ${result.routesNotInFile.length} route(s) in the directory are not in this file and were left as they are: ${result.routesNotInFile.join(', ')}`);
  }
  if (result.warnings.length > 0) {
    out(`routes import: ${result.warnings.length} warning(s); the file was imported`);
    for (const w of result.warnings) out(formatProblem(w));
  }
}

export async function listRoutesCommand(config: Config, logger: Logger, opts: { json?: boolean }, out: Out): Promise<number> {
  const routes = await withDatabase(config, logger, () => models.RouteRecord.find().sort({ _id: 1 }).lean());
  if (opts.json) {
    out(JSON.stringify(routes, null, 2));
    return 0;
  }
  if (routes.length === 0) {
    out('no routes in the directory; import a file with `statetrace routes import FILE`');
    return 0;
  }
  const rows = routes.map((r) => [
    r._id,
    r.name,
    r.environment,
    r.primary ? 'primary' : 'secondary',
    r.routeClass,
    r.owner?.team ?? '',
    r.paths.map((p) => `${p.role === 'primary' ? '*' : ''}${p.id}→${p.nextHop}`).join(' '),
    r.dependencies.join(','),
  ]);
  const header = ['ID', 'NAME', 'ENV', 'ROLE', 'CLASS', 'OWNER', 'PATHS', 'DEPENDENCIES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) out(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  return 0;
}
