import { ConfigError, loadConfig } from '../../src/config';
import { outageKeyOf } from '../../src/outage/start-outages';
import { prefixedWorkflowId } from '../../src/temporal/workflow-ids';

/** STATETRACE_WORKFLOW_ID_PREFIX: read and checked by the config, put before every workflow id. */
describe('STATETRACE_WORKFLOW_ID_PREFIX', () => {
  it('is empty unless set, so the ids stay what they were before the prefix existed', () => {
    expect(loadConfig({}).temporal.workflowIdPrefix).toBe('');
    expect(loadConfig({ STATETRACE_WORKFLOW_ID_PREFIX: '' }).temporal.workflowIdPrefix).toBe('');
    expect(outageKeyOf({ id: 'r1', dependencies: [] }, '')).toEqual({ workflowId: 'outage:r1', key: 'route:r1' });
    expect(outageKeyOf({ id: 'r1', dependencies: ['circuit-7', 'pop'] }, '')).toEqual({ workflowId: 'outage:dep:circuit-7', key: 'dep:circuit-7', dependency: 'circuit-7' });
    expect(prefixedWorkflowId('', 'packet:inc-1:packet:req-1')).toBe('packet:inc-1:packet:req-1');
  });

  it('set, goes before the outage ids; the outage key (what the workflow groups by) is unchanged', () => {
    const prefix = loadConfig({ STATETRACE_WORKFLOW_ID_PREFIX: 'site-a' }).temporal.workflowIdPrefix;
    expect(prefix).toBe('site-a');
    expect(outageKeyOf({ id: 'r1', dependencies: [] }, prefix)).toEqual({ workflowId: 'site-a:outage:r1', key: 'route:r1' });
    expect(outageKeyOf({ id: 'r1', dependencies: ['circuit-7'] }, prefix)).toEqual({ workflowId: 'site-a:outage:dep:circuit-7', key: 'dep:circuit-7', dependency: 'circuit-7' });
    expect(loadConfig({ STATETRACE_WORKFLOW_ID_PREFIX: 'Prod_eu.2-b' }).temporal.workflowIdPrefix).toBe('Prod_eu.2-b');
    expect(loadConfig({ STATETRACE_WORKFLOW_ID_PREFIX: 'x'.repeat(32) }).temporal.workflowIdPrefix).toBe('x'.repeat(32));
  });

  it.each([
    ['a colon', 'site:a'],
    ['a space', 'site a'],
    ['a slash', 'site/a'],
    ['a letter outside ASCII', 'sité'],
    ['33 characters', 'x'.repeat(33)],
    ['only whitespace', ' '],
  ])('with %s is refused, naming the variable and what it may hold', (_what, value) => {
    const load = () => loadConfig({ STATETRACE_WORKFLOW_ID_PREFIX: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/STATETRACE_WORKFLOW_ID_PREFIX: 1-32 letters, digits, "\.", "_" or "-"/);
    expect(() => prefixedWorkflowId(value, 'outage:r1')).toThrow(/workflow id prefix/);
  });
});
