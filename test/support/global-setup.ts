import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../../src/config';
import { openStack, type Stack } from '../../src/embedded/stack';
import { createLogger } from '../../src/logger';
import { keepTestNetLocal } from '../testbed/network';

declare global {
  var __STATETRACE_TEST_STACK__: { stack: Stack; dataDir: string } | undefined;
}

/**
 * Starts FerretDB and the Temporal dev server once per test run, on free loopback ports,
 * with state in a temporary folder, and hands their addresses to the test files through
 * the environment. Also compiles dist/, which tests that run the CLI execute.
 */
export default async function globalSetup(): Promise<void> {
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });
  if (process.getuid?.() === 0) await keepTestNetLocal();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'statetrace-test-'));
  const config = loadConfig({
    ...process.env,
    STATETRACE_DATA_DIR: dataDir,
    STATETRACE_TEMPORAL_PORT: '0',
    STATETRACE_TEMPORAL_UI_PORT: '0',
    STATETRACE_FERRETDB_PORT: '0',
    TEMPORAL_ADDRESS: '',
    MONGODB_URI: '',
  });
  const stack = await openStack(config, createLogger('warn'), { temporal: true, mongo: true });
  globalThis.__STATETRACE_TEST_STACK__ = { stack, dataDir };
  process.env.STATETRACE_TEST_MONGODB_URI = stack.endpoints.mongoUri;
  process.env.STATETRACE_TEST_TEMPORAL_ADDRESS = stack.endpoints.temporalAddress;
}
