import { commandText, statetraceCommand, usageOptions } from '../../../bot/discord/slash-command';
import { parseCommand, USAGE } from '../../../bot/core/parse-command';

describe('/statetrace as a Discord slash command', () => {
  const command = statetraceCommand();

  it('has a subcommand per command of the shared language, with valid names and descriptions', () => {
    expect(command.name).toBe('statetrace');
    expect(command.options!.map((o) => o.name).sort()).toEqual(Object.keys(USAGE).sort());
    const names = command.options!.flatMap((o) => [o.name, ...('options' in o ? (o.options ?? []).map((x) => x.name) : [])]);
    for (const n of names) expect(n).toMatch(/^[-_a-z0-9]{1,32}$/);
    for (const o of command.options!) {
      expect(o.description.length).toBeGreaterThan(0);
      expect(o.description.length).toBeLessThanOrEqual(100);
      // Discord refuses a required option after an optional one.
      const required = ('options' in o ? (o.options ?? []) : []).map((x) => Boolean(x.required));
      expect(required).toEqual([...required].sort((a, b) => Number(b) - Number(a)));
    }
  });

  it('reads options off the usage: maint <route> <duration> [reason]', () => {
    expect(usageOptions(USAGE.maint)).toEqual([
      { name: 'route', description: 'route', required: true },
      { name: 'duration', description: 'duration, e.g. 2h or 90m', required: true },
      { name: 'reason', description: 'reason', required: false },
    ]);
    expect(usageOptions(USAGE.status)).toEqual([{ name: 'route', description: 'route|all', required: false }]);
  });

  it('turns an invocation back into text the shared parser reads as the same command', () => {
    const text = commandText('maint', [
      { name: 'reason', value: 'carrier work CR-4711' },
      { name: 'route', value: 'edge-fra-1' },
      { name: 'duration', value: '2h' },
    ]);
    expect(text).toBe('maint edge-fra-1 2h carrier work CR-4711');
    expect(parseCommand(text)).toEqual({ ok: true, command: { name: 'maint', route: 'edge-fra-1', durationSec: 7200, reason: 'carrier work CR-4711' } });
    expect(parseCommand(commandText('failover', [{ name: 'backup-path', value: 'backup-a' }, { name: 'route', value: 'edge-fra-1' }]))).toEqual({ ok: true, command: { name: 'failover', route: 'edge-fra-1', backup: 'backup-a' } });
  });

  it('malformed option values get the parser’s usage reply', () => {
    expect(parseCommand(commandText('maint', [{ name: 'route', value: 'edge-fra-1' }, { name: 'duration', value: 'forever' }]))).toEqual({ ok: false, reply: '"forever" is not a duration between 1m and 7d — usage: maint <route> <duration, e.g. 2h or 90m> [reason]' });
    expect(parseCommand(commandText('status', [{ name: 'route', value: 'two words' }]))).toMatchObject({ ok: false, reply: expect.stringContaining('too many words') });
    expect(parseCommand(commandText('ack', [{ name: 'incident-id', value: 'INC; drop' }]))).toMatchObject({ ok: false });
  });
});
