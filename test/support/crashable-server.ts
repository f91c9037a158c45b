import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ManagedProcess } from '../../src/embedded/managed-process';

/**
 * A server a chaos test owns and crashes: `crash()` SIGKILLs it (no clean shutdown), and
 * `restart()` starts it again with what `start` was given — the same port and data folder.
 */
export interface CrashableServer<S> {
  readonly server: S;
  /** The folder its state and logs live in (removed by stop). */
  readonly dataDir: string;
  crash(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function crashableServer<S extends { process: ManagedProcess }>(label: string, start: (dataDir: string) => Promise<S>): Promise<CrashableServer<S>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `statetrace-${label}-`));
  fs.mkdirSync(path.join(dataDir, 'logs'));
  let server = await start(dataDir);
  return {
    get server() {
      return server;
    },
    dataDir,
    async crash() {
      process.kill(server.process.pid!, 'SIGKILL');
      await server.process.exited;
    },
    async restart() {
      server = await start(dataDir);
    },
    async stop() {
      await server.process.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
