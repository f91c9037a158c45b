import { ConfigError, loadConfig } from '../src/config';

describe('loadConfig: confirmation before paging', () => {
  it('leaves it to each route class unless the environment overrides it', () => {
    expect(loadConfig({}).outage.confirm).toBeUndefined();
    expect(loadConfig({ STATETRACE_CONFIRM_ATTEMPTS: '' }).outage.confirm).toBeUndefined();
  });

  it('overrides every class with STATETRACE_CONFIRM_ATTEMPTS, a second apart unless STATETRACE_CONFIRM_INTERVAL_MS says', () => {
    expect(loadConfig({ STATETRACE_CONFIRM_ATTEMPTS: '0' }).outage.confirm).toEqual({ attempts: 0, intervalMs: 1000 });
    expect(loadConfig({ STATETRACE_CONFIRM_ATTEMPTS: '3', STATETRACE_CONFIRM_INTERVAL_MS: '250' }).outage.confirm).toEqual({ attempts: 3, intervalMs: 250 });
  });

  it('refuses an interval without attempts, and values out of range', () => {
    expect(() => loadConfig({ STATETRACE_CONFIRM_INTERVAL_MS: '500' })).toThrow(new ConfigError(
      "invalid configuration: STATETRACE_CONFIRM_INTERVAL_MS is set without STATETRACE_CONFIRM_ATTEMPTS; set both to override every route class, or neither to use each class's `confirm`",
    ));
    expect(() => loadConfig({ STATETRACE_CONFIRM_ATTEMPTS: '11' })).toThrow(/STATETRACE_CONFIRM_ATTEMPTS: .*10/);
    expect(() => loadConfig({ STATETRACE_CONFIRM_ATTEMPTS: 'two' })).toThrow(/STATETRACE_CONFIRM_ATTEMPTS: /);
  });
});
