import { randomBytes } from 'node:crypto';
import { helpText, parseCommand, parseDuration } from '../../bot/core/parse-command';

describe('parseCommand', () => {
  it.each([
    ['', { name: 'help' }],
    ['help maint', { name: 'help', topic: 'maint' }],
    ['status', { name: 'status' }],
    ['status all', { name: 'status' }],
    ['STATUS core-rtr-1', { name: 'status', route: 'core-rtr-1' }],
    ['routes edge', { name: 'routes', filter: 'edge' }],
    ['incident inc-20261125-r1-7f3a', { name: 'incident', incidentId: 'inc-20261125-r1-7f3a' }],
    ['ack', { name: 'ack' }],
    ['failover r1 backup-a', { name: 'failover', route: 'r1', backup: 'backup-a' }],
    ['failback', { name: 'failback' }],
    ['resolve replaced the SFP on et-0/0/1', { name: 'resolve', note: 'replaced the SFP on et-0/0/1' }],
    ['maint r1 2h line card swap', { name: 'maint', route: 'r1', durationSec: 7200, reason: 'line card swap' }],
    ['maint r1 1h30m', { name: 'maint', route: 'r1', durationSec: 5400 }],
    ['history r1', { name: 'history', route: 'r1', rangeSec: 86_400 }],
    ['history r1 7d', { name: 'history', route: 'r1', rangeSec: 604_800 }],
    ['oncall core-net', { name: 'oncall', team: 'core-net' }],
    ['packet', { name: 'packet' }],
    ['  status\u00a0\u00a0r1\t', { name: 'status', route: 'r1' }],
  ])('%j', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['reboot r1', /^unknown command "reboot"\. commands: help/],
    ['maint r1', /route and duration are needed — usage: maint <route> <duration/],
    ['maint r1 soon', /"soon" is not a duration between 1m and 7d/],
    ['maint r1 30d', /"30d" is not a duration between 1m and 7d/],
    ['maint R1! 2h', /"R1!" is not a route id/],
    ['history', /which route\?/],
    ['status r1 r2', /too many words — usage: status \[route\|all\]/],
    ['ack not-an-incident', /"not-an-incident" is not an incident id \(inc-…\) — usage: ack \[incident-id\]/],
    ['failover r1 Bad!Path', /"bad!path" is not a path id/],
    ['failover r1 b c', /too many words/],
  ])('%j → a specific help reply', (text, reply) => {
    const result = parseCommand(text);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reply).toMatch(reply);
  });

  it('refuses oversized text and non-strings with help', () => {
    const long = parseCommand('status '.repeat(500));
    expect(!long.ok && long.reply).toMatch(/commands are at most 1000/);
    expect(parseCommand(undefined)).toEqual({ ok: false, reply: helpText() });
    expect(parseCommand({ text: 'status' })).toEqual({ ok: false, reply: helpText() });
  });

  it('never throws and always answers something useful for 2,000 random inputs', () => {
    const alphabet = ['status', 'maint', 'ack', 'failover', 'history', 'r1', '2h', '-1h', '99999d', 'inc-x', '\u0000', '\ud800', '😀', '"', "'", '`', '<@U1>', '*', '\\', ' ', '\n', 'a'.repeat(70)];
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(1 + (i % 40));
      const text =
        i % 2 === 0
          ? Array.from(bytes, (b) => alphabet[b % alphabet.length]).join(i % 3 ? ' ' : '')
          : bytes.toString('latin1');
      const result = parseCommand(text);
      if (result.ok) expect(typeof result.command.name).toBe('string');
      else expect(result.reply.length).toBeGreaterThan(10);
    }
  });
});

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1h30m', 5400],
    ['7d', 604_800],
    ['1d2h3m4s', 93_784],
  ])('%s → %d s', (text, sec) => expect(parseDuration(text)).toBe(sec));
  it.each(['', 'h', '2', '-1h', '2 h', '1.5h', 'soon'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});
