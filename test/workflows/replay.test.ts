import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

/**
 * Replays recorded outage histories against the current workflow code: a change that would
 * make running incidents non-deterministic fails here. `histories/` holds the current
 * workflow's (written by outage.test.ts with STATETRACE_RECORD_HISTORIES=1); `histories/v1/`
 * holds outages started before `patched('lifecycle-2')`, which must still replay on the frozen
 * code in workflows/legacy/. Behaviour changes to running workflows go behind `patched()`,
 * then the current histories are recorded again.
 */
const HISTORIES = path.join(__dirname, 'histories');
const historyFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.history.pb')).map((f) => path.join(dir, f)) : []);
const current = historyFiles(HISTORIES);
const v1 = historyFiles(path.join(HISTORIES, 'v1'));
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
}, 60_000);

describe('workflow history replay', () => {
  it('has recorded histories of the current workflow and of outages started before lifecycle-2', () => {
    expect(current.length).toBeGreaterThanOrEqual(10);
    expect(v1.length).toBeGreaterThanOrEqual(18);
  });

  it.each([...current, ...v1].map((f) => path.relative(HISTORIES, f)))('%s replays with the current code', async (file) => {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES, file)));
    await expect(Worker.runReplayHistory({ workflowBundle: bundle, replayName: file }, history)).resolves.toBeUndefined();
  }, 60_000);
});
