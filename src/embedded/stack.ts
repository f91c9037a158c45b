import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { toolPaths } from '../tools';
import { startFerretDB, type EmbeddedFerretDB } from './ferretdb';
import { startTemporalDevServer, type EmbeddedTemporal } from './temporal-dev-server';

export interface StackEndpoints {
  temporalAddress?: string;
  mongoUri?: string;
}

export interface Stack {
  endpoints: StackEndpoints;
  /** What this process started (empty when everything is external or reused). */
  started: { temporal?: EmbeddedTemporal; ferretdb?: EmbeddedFerretDB };
  /** Stops what this process started and releases the data folder. */
  stop(): Promise<void>;
}

/** Written to the data folder by whichever process runs the embedded servers. */
interface StackState {
  ownerPid: number;
  startedAt: string;
  temporal?: { address: string; pid?: number; binary: string };
  mongo?: { uri: string; pid?: number; binary: string };
}

export class StackBusyError extends Error {}

const stateFile = (dataDir: string) => path.join(dataDir, 'embedded.json');

function pidAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readState(dataDir: string): StackState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile(dataDir), 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

/** Kills a server left behind by an owner that died without cleaning up (only if it is ours). */
function reapOrphan(pid: number | undefined, binary: string, logger: Logger): void {
  if (!pidAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes(binary)) return;
  logger.warn({ pid, binary }, 'stopping a server left behind by a StateTrace process that died');
  process.kill(pid!, 'SIGKILL');
}

/** Exclusive create, so two processes starting at once cannot both own the folder. */
function claimDataDir(dataDir: string): void {
  const claim: StackState = { ownerPid: process.pid, startedAt: new Date().toISOString() };
  try {
    fs.writeFileSync(stateFile(dataDir), JSON.stringify(claim), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    throw new StackBusyError(`another StateTrace process is starting the embedded servers in ${dataDir}`);
  }
}

/**
 * Gives the Temporal address and MongoDB URI a command needs. External ones
 * (TEMPORAL_ADDRESS, MONGODB_URI) are used as they are. Otherwise the embedded servers run
 * from the data folder: `reuseRunning` commands (e.g. `routes import`) use the ones a
 * running `statetrace start` owns; anything else starts them and owns the folder until stop.
 */
export async function openStack(
  config: Config,
  logger: Logger,
  need: { temporal: boolean; mongo: boolean },
  opts: { reuseRunning?: boolean } = {},
): Promise<Stack> {
  const endpoints: StackEndpoints = {
    temporalAddress: need.temporal ? config.temporal.address : undefined,
    mongoUri: need.mongo ? config.mongo.uri : undefined,
  };
  const wantTemporal = need.temporal && !config.temporal.address;
  const wantMongo = need.mongo && !config.mongo.uri;
  const nothingToStop = { endpoints, started: {}, stop: async () => {} };
  if (!wantTemporal && !wantMongo) return nothingToStop;

  fs.mkdirSync(path.join(config.dataDir, 'logs'), { recursive: true });
  const tools = toolPaths(config.toolsDir);
  const existing = readState(config.dataDir);
  if (existing && pidAlive(existing.ownerPid) && existing.ownerPid !== process.pid) {
    const missing = (wantTemporal && !existing.temporal) || (wantMongo && !existing.mongo);
    if (!opts.reuseRunning || missing) {
      throw new StackBusyError(
        `StateTrace (pid ${existing.ownerPid}) already runs the embedded servers in ${config.dataDir}; ` +
          'stop it, or set STATETRACE_DATA_DIR to another folder',
      );
    }
    if (wantTemporal) endpoints.temporalAddress = existing.temporal!.address;
    if (wantMongo) endpoints.mongoUri = existing.mongo!.uri;
    return nothingToStop;
  }
  if (existing) {
    reapOrphan(existing.temporal?.pid, existing.temporal?.binary ?? tools.temporal, logger);
    reapOrphan(existing.mongo?.pid, existing.mongo?.binary ?? tools.ferretdb, logger);
    fs.rmSync(stateFile(config.dataDir), { force: true });
  }
  for (const [want, binary, hint] of [
    [wantTemporal, tools.temporal, 'TEMPORAL_ADDRESS'],
    [wantMongo, tools.ferretdb, 'MONGODB_URI'],
  ] as const) {
    if (want && !fs.existsSync(binary)) {
      throw new Error(`${binary} is missing: run \`npm run setup\`, or set ${hint} to use an external server`);
    }
  }

  claimDataDir(config.dataDir);
  const [temporal, ferretdb] = await Promise.allSettled([
    wantTemporal
      ? startTemporalDevServer({
          binary: tools.temporal,
          dataDir: config.dataDir,
          namespace: config.temporal.namespace,
          port: config.temporal.embeddedPort,
          uiPort: config.temporal.embeddedUiPort,
          logger,
        })
      : Promise.resolve(undefined),
    wantMongo
      ? startFerretDB({ binary: tools.ferretdb, dataDir: config.dataDir, port: config.mongo.embeddedPort, logger })
      : Promise.resolve(undefined),
  ]);
  const started = {
    temporal: temporal.status === 'fulfilled' ? temporal.value : undefined,
    ferretdb: ferretdb.status === 'fulfilled' ? ferretdb.value : undefined,
  };
  const stop = async () => {
    await Promise.all([started.temporal?.process.stop(), started.ferretdb?.process.stop()]);
    const current = readState(config.dataDir);
    if (current?.ownerPid === process.pid) fs.rmSync(stateFile(config.dataDir), { force: true });
  };
  const failure = [temporal, ferretdb].find((r) => r.status === 'rejected');
  if (failure) {
    await stop();
    throw (failure).reason;
  }
  if (started.temporal) endpoints.temporalAddress = started.temporal.address;
  if (started.ferretdb) endpoints.mongoUri = started.ferretdb.uri;
  const state: StackState = {
    ownerPid: process.pid,
    startedAt: new Date().toISOString(),
    temporal: started.temporal && { address: started.temporal.address, pid: started.temporal.process.pid, binary: tools.temporal },
    mongo: started.ferretdb && { uri: started.ferretdb.uri, pid: started.ferretdb.process.pid, binary: tools.ferretdb },
  };
  fs.writeFileSync(stateFile(config.dataDir), JSON.stringify(state, null, 2));
  return { endpoints, started, stop };
}
