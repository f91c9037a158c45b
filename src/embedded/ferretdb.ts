import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import type { Logger } from '../logger';
import { ManagedProcess, waitUntilReady } from './managed-process';
import { choosePort } from './ports';

export interface EmbeddedFerretDB {
  uri: string;
  process: ManagedProcess;
}

/**
 * FerretDB 1.x speaking the MongoDB wire protocol over SQLite files in the data folder.
 * Telemetry and the debug HTTP listener are off: nothing leaves the machine and no fixed
 * extra port is taken.
 */
export async function startFerretDB(opts: {
  binary: string;
  dataDir: string;
  port?: number;
  logger: Logger;
  readyTimeoutMs?: number;
}): Promise<EmbeddedFerretDB> {
  const port = await choosePort(opts.port, 27017, 'FerretDB');
  const sqliteDir = path.join(opts.dataDir, 'ferretdb');
  const stateDir = path.join(opts.dataDir, 'ferretdb-state');
  fs.mkdirSync(sqliteDir, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  const proc = new ManagedProcess({
    name: 'ferretdb',
    command: opts.binary,
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${sqliteDir}/`,
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${stateDir}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
      '--log-format=json',
    ],
    env: { ...process.env, FERRETDB_TELEMETRY: 'disable' },
    logFile: path.join(opts.dataDir, 'logs', 'ferretdb.log'),
    logger: opts.logger,
  });
  const uri = `mongodb://127.0.0.1:${port}/statetrace`;
  await waitUntilReady(proc, () => mongoAnswers(uri), opts.readyTimeoutMs ?? 30_000);
  opts.logger.info({ port, childPid: proc.pid }, 'embedded FerretDB ready');
  return { uri, process: proc };
}

export async function mongoAnswers(uri: string): Promise<boolean> {
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 1000 });
  try {
    await conn.asPromise();
    await conn.db!.admin().ping();
    return true;
  } finally {
    await conn.close();
  }
}
