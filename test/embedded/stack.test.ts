import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { mongoAnswers } from '../../src/embedded/ferretdb';
import { ManagedProcess } from '../../src/embedded/managed-process';
import { freePort } from '../../src/embedded/ports';
import { openStack, StackBusyError } from '../../src/embedded/stack';
import { createLogger } from '../../src/logger';
import { toolPaths } from '../../src/tools';
import { processesMentioning, waitForExit } from '../support/processes';
import { until } from '../support/until';

const logger = createLogger('silent');

function tempConfig(extra: NodeJS.ProcessEnv = {}): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-stack-'));
  return loadConfig({
    STATETRACE_DATA_DIR: dataDir,
    STATETRACE_TEMPORAL_PORT: '0',
    STATETRACE_TEMPORAL_UI_PORT: '0',
    STATETRACE_FERRETDB_PORT: '0',
    ...extra,
  });
}

describe('openStack', () => {
  it('starts FerretDB and Temporal, owns the data folder, and stops both', async () => {
    const config = tempConfig();
    const stack = await openStack(config, logger, { temporal: true, mongo: true });
    try {
      expect(stack.endpoints.temporalAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await mongoAnswers(stack.endpoints.mongoUri!)).toBe(true);
      const state = JSON.parse(fs.readFileSync(path.join(config.dataDir, 'embedded.json'), 'utf8'));
      expect(state).toMatchObject({ ownerPid: process.pid, temporal: { address: stack.endpoints.temporalAddress }, mongo: { uri: stack.endpoints.mongoUri } });
      expect(fs.existsSync(path.join(config.dataDir, 'temporal.db'))).toBe(true);
      expect(processesMentioning(config.dataDir)).toHaveLength(2);
    } finally {
      await stack.stop();
    }
    expect(await waitForExit([stack.started.temporal!.process.pid!, stack.started.ferretdb!.process.pid!], 5000)).toBe(true);
    expect(processesMentioning(config.dataDir)).toEqual([]);
    expect(fs.existsSync(path.join(config.dataDir, 'embedded.json'))).toBe(false);
  });

  it('starts nothing when TEMPORAL_ADDRESS and MONGODB_URI are set', async () => {
    const config = tempConfig({ TEMPORAL_ADDRESS: 'temporal.example:7233', MONGODB_URI: 'mongodb://db.example/statetrace' });
    const stack = await openStack(config, logger, { temporal: true, mongo: true });
    expect(stack.endpoints).toEqual({ temporalAddress: 'temporal.example:7233', mongoUri: 'mongodb://db.example/statetrace' });
    expect(stack.started).toEqual({});
    expect(fs.existsSync(path.join(config.dataDir, 'embedded.json'))).toBe(false);
  });

  it('starts only what is not external', async () => {
    const config = tempConfig({ TEMPORAL_ADDRESS: 'temporal.example:7233' });
    const stack = await openStack(config, logger, { temporal: true, mongo: true });
    try {
      expect(stack.started.temporal).toBeUndefined();
      expect(stack.started.ferretdb?.process.running).toBe(true);
      expect(stack.endpoints.temporalAddress).toBe('temporal.example:7233');
    } finally {
      await stack.stop();
    }
  });

  it('lets a second process reuse the running servers, but not start its own', async () => {
    const config = tempConfig();
    const stack = await openStack(config, logger, { temporal: false, mongo: true });
    try {
      // Pretend the owner is another live process (this test's parent, jest).
      const file = path.join(config.dataDir, 'embedded.json');
      const state = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.writeFileSync(file, JSON.stringify({ ...state, ownerPid: process.ppid }));
      await expect(openStack(config, logger, { temporal: false, mongo: true })).rejects.toThrow(StackBusyError);
      const reused = await openStack(config, logger, { temporal: false, mongo: true }, { reuseRunning: true });
      expect(reused.endpoints.mongoUri).toBe(stack.endpoints.mongoUri);
      expect(reused.started).toEqual({});
      await expect(openStack(config, logger, { temporal: true, mongo: true }, { reuseRunning: true })).rejects.toThrow(/already runs the embedded servers/);
      fs.writeFileSync(file, JSON.stringify(state));
    } finally {
      await stack.stop();
    }
  });

  it('stops a server left behind by an owner that died, then starts afresh', async () => {
    const config = tempConfig();
    fs.mkdirSync(path.join(config.dataDir, 'logs'), { recursive: true });
    const tools = toolPaths(config.toolsDir);
    const port = await freePort();
    // A FerretDB started without the parent-death signal, as if its owner had been SIGKILLed.
    const leftover = new ManagedProcess({
      name: 'leftover',
      command: tools.ferretdb,
      args: ['--handler=sqlite', `--sqlite-url=file:${config.dataDir}/ferretdb/`, `--listen-addr=127.0.0.1:${port}`, '--debug-addr=-', '--telemetry=disable', `--state-dir=${config.dataDir}`],
      logFile: path.join(config.dataDir, 'logs', 'leftover.log'),
      logger,
    });
    fs.mkdirSync(path.join(config.dataDir, 'ferretdb'), { recursive: true });
    // Only a process that runs the FerretDB binary is reaped; on a busy machine the child may
    // not have exec'd it yet (CI once hung here), so wait until /proc says it has.
    await until('the leftover to run ferretdb', () => (fs.readFileSync(`/proc/${leftover.pid}/cmdline`, 'utf8').includes(tools.ferretdb) ? true : undefined), 10_000);
    const deadOwner = 2 ** 22 + 12345; // above pid_max on default kernels: never alive
    fs.writeFileSync(
      path.join(config.dataDir, 'embedded.json'),
      JSON.stringify({ ownerPid: deadOwner, startedAt: new Date().toISOString(), mongo: { uri: 'x', pid: leftover.pid, binary: tools.ferretdb } }),
    );
    const stack = await openStack(config, logger, { temporal: false, mongo: true });
    try {
      expect(await leftover.exited).toBe('SIGKILL');
      expect(await mongoAnswers(stack.endpoints.mongoUri!)).toBe(true);
    } finally {
      await stack.stop();
    }
  });

  it('explains a missing binary', async () => {
    const config = tempConfig({ STATETRACE_TOOLS_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'no-tools-')) });
    await expect(openStack(config, logger, { temporal: true, mongo: false })).rejects.toThrow(/temporal is missing: run `npm run setup`, or set TEMPORAL_ADDRESS/);
    expect(fs.existsSync(path.join(config.dataDir, 'embedded.json'))).toBe(false);
  });
});
