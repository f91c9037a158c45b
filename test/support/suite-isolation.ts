import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * A test file's own corner of the one Temporal dev server that every file of a jest run
 * shares (global-setup.ts): its own task queue, so no other file's worker runs its tasks, and
 * its own workflow id prefix (STATETRACE_WORKFLOW_ID_PREFIX), so the same route id in two
 * files is two workflows and a signal never reaches the other file's outage. Named after the
 * test file, with a random suffix (a file's next run gets new ones too).
 */
export interface SuiteIsolation {
  taskQueue: string;
  workflowIdPrefix: string;
}

export function isolateSuite(name = testFileName()): SuiteIsolation {
  const id = `${name.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 24)}-${randomBytes(3).toString('hex')}`;
  return { taskQueue: id, workflowIdPrefix: id };
}

/** The isolation as the environment variables a StateTrace process reads. */
export function isolationEnv(suite: SuiteIsolation): NodeJS.ProcessEnv {
  return { TEMPORAL_TASK_QUEUE: suite.taskQueue, STATETRACE_WORKFLOW_ID_PREFIX: suite.workflowIdPrefix };
}

function testFileName(): string {
  const testPath = expect.getState().testPath;
  if (!testPath) throw new Error('isolateSuite() outside a jest test file: pass a name');
  return path.basename(testPath).replace(/\.test\.ts$/, '');
}
