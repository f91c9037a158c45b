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
 * `checks-wait-for-carry-on` and `failover-request-once`, `v5/` before `request-answered-once`, `v6/` before `later-patches-first`, `v7/` before `end-before-carry-on`, `v8/` before `loop-wakes-on-resolve`, `v9/` before `incident-known-when-open`, `v10/` before `failback-moves-unverified`. Behaviour changes to running workflows go behind
 * `patched()`; the current histories then move to a folder of their own and are recorded again.
 */
const HISTORIES = path.join(__dirname, 'histories');
const historyFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.history.pb')).map((f) => path.join(dir, f)) : []);
const current = historyFiles(HISTORIES);
/** Outages started on earlier versions, by folder: v1, v2, … */
const earlier = fs
  .readdirSync(HISTORIES)
  .filter((d) => /^v\d+$/.test(d))
  .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
  .map((d) => ({ version: d, files: historyFiles(path.join(HISTORIES, d)) }));
/** How many each folder held when it was made: a folder that lost files fails. */
const KEPT: Record<string, number> = { v1: 18, v2: 26, v3: 27, v4: 27, v5: 27, v6: 29, v7: 29, v8: 31, v9: 32, v10: 33 };
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
}, 60_000);

describe('workflow history replay', () => {
  it('has recorded histories of the current workflow and of outages started on earlier versions', () => {
    expect(current.length).toBeGreaterThanOrEqual(34);
    expect(earlier.map((v) => v.version)).toEqual(Object.keys(KEPT));
    for (const { version, files } of earlier) expect({ version, files: files.length }).toEqual({ version, files: KEPT[version] });
  });

  it.each([...current, ...earlier.flatMap((v) => v.files)].map((f) => path.relative(HISTORIES, f)))('%s replays with the current code', async (file) => {
    const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES, file)));
    await expect(Worker.runReplayHistory({ workflowBundle: bundle, replayName: file }, history)).resolves.toBeUndefined();
  }, 60_000);
});
