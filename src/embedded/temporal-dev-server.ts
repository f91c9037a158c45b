import { Connection } from '@temporalio/client';
import path from 'node:path';
import type { Logger } from '../logger';
import { ManagedProcess, waitUntilReady } from './managed-process';
import { choosePort } from './ports';

export interface EmbeddedTemporal {
  address: string;
  uiUrl: string;
  process: ManagedProcess;
}

/**
 * The Temporal CLI's dev server with its state in a SQLite file under the data folder, so
 * open incidents (running workflows and their timers) survive a restart.
 */
export async function startTemporalDevServer(opts: {
  binary: string;
  dataDir: string;
  namespace: string;
  port?: number;
  uiPort?: number;
  logger: Logger;
  readyTimeoutMs?: number;
}): Promise<EmbeddedTemporal> {
  const port = await choosePort(opts.port, 7233, 'Temporal dev server');
  const uiPort = await choosePort(opts.uiPort, port + 1000, 'Temporal UI');
  const args = [
    'server', 'start-dev',
    '--db-filename', path.join(opts.dataDir, 'temporal.db'),
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--ui-disable-news-fetch',
    '--log-format', 'json',
    '--log-level', 'warn',
  ];
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  const proc = new ManagedProcess({
    name: 'temporal',
    command: opts.binary,
    args,
    logFile: path.join(opts.dataDir, 'logs', 'temporal.log'),
    logger: opts.logger,
  });
  const address = `127.0.0.1:${port}`;
  await waitUntilReady(proc, () => temporalAnswers(address, opts.namespace), opts.readyTimeoutMs ?? 60_000);
  opts.logger.info({ address, ui: `http://127.0.0.1:${uiPort}`, childPid: proc.pid }, 'embedded Temporal dev server ready');
  return { address, uiUrl: `http://127.0.0.1:${uiPort}`, process: proc };
}

/** True once the frontend answers and the namespace exists. */
async function temporalAnswers(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}
