import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

/**
 * Replays recorded outage histories against the current workflow code: a change that would
 * make running incidents non-deterministic fails here. `histories/` holds the current
 * workflow's (written by outage.test.ts and lifecycle-regressions.test.ts with
 * STATETRACE_RECORD_HISTORIES=1). Each folder under it holds outages started on an earlier
 * version, which must still replay: `v1/` before `patched('lifecycle-2')` (the frozen code in
 * workflows/legacy/), `v2/` before the `failover-strands-route` and
 * `escalation-timer-not-cancelled` patches, `v3/` before `failback-checks-in-turn`,
 * `failback-request-once` and `escalation-step-holds-carry-on`, `v4/` before
 * `checks-wait-for-carry-on` and `failover-request-once`, `v5/` before `request-answered-once`, `v6/` before `later-patches-first`, `v7/` before `end-before-carry-on`. Behaviour changes to running workflows go behind
 * `patched()`; the current histories then move to a folder of their own and are recorded again.
 */
const HISTORIES = path.join(__dirname, 'histories');
const historyFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.history.pb')).map((f) => path.join(dir, f)) : []);
const current = historyFiles(HISTORIES);
const v1 = historyFiles(path.join(HISTORIES, 'v1'));
const v2 = historyFiles(path.join(HISTORIES, 'v2'));
const v3 = historyFiles(path.join(HISTORIES, 'v3'));
const v4 = historyFiles(path.join(HISTORIES, 'v4'));
const v5 = historyFiles(path.join(HISTORIES, 'v5'));
const v6 = historyFiles(path.join(HISTORIES, 'v6'));
const v7 = historyFiles(path.join(HISTORIES, 'v7'));
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
}, 60_000);

describe('workflow history replay', () => {
  it('has recorded histories of the current workflow and of outages started on earlier versions', () => {
    expect(current.length).toBeGreaterThanOrEqual(29);
    expect(v1.length).toBeGreaterThanOrEqual(18);
    expect(v2.length).toBeGreaterThanOrEqual(26);
    expect(v3.length).toBeGreaterThanOrEqual(27);
    expect(v4.length).toBeGreaterThanOrEqual(27);
    expect(v5.length).toBeGreaterThanOrEqual(27);
    expect(v6.length).toBeGreaterThanOrEqual(29);
    expect(v7.length).toBeGreaterThanOrEqual(29);
  });

  it.each([...current, ...v1, ...v2, ...v3, ...v4, ...v5, ...v6, ...v7].map((f) => path.relative(HISTORIES, f)))('%s replays with the current code', async (file) => {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES, file)));
    await expect(Worker.runReplayHistory({ workflowBundle: bundle, replayName: file }, history)).resolves.toBeUndefined();
  }, 60_000);
});
