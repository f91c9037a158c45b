import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

/**
 * Replays recorded outage histories (test/workflows/histories/, written by outage.test.ts
 * with STATETRACE_RECORD_HISTORIES=1) against the current workflow code: a change that
 * would make running incidents non-deterministic fails here. Behaviour changes to running
 * workflows go behind `patched()`, then the histories are recorded again.
 */
const HISTORIES = path.join(__dirname, 'histories');
const files = fs.existsSync(HISTORIES) ? fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.history.pb')) : [];

beforeAll(() => Runtime.install({ logger: new DefaultLogger('WARN') }));

describe('workflow history replay', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s replays with the current code', async (file) => {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES, file)));
    await expect(
      Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows'), replayName: file }, history),
    ).resolves.toBeUndefined();
  }, 60_000);
});
