import { parseCommand, USAGE } from '../../bot/core/parse-command';
import { fuzzSeed, mulberry32, NASTY, randomString, type Rng } from './fuzz-kit';

/**
 * Hostile input for the command parser (issue 9): 20,000 generated command lines — known
 * verbs with random arguments, random text, control characters, lone surrogates, oversized
 * lines, non-strings. parseCommand never throws, and every refusal is a short, non-empty reply.
 */
const SEED = fuzzSeed(0x5eed0001);
const COUNT = 20_000;
const VERBS = Object.keys(USAGE);

function commandLine(r: Rng): unknown {
  const kind = r.int(0, 9);
  if (kind === 0) return r.pick([undefined, null, 0, 42, true, {}, [], ['status'], { toString: () => 'status' }, Symbol('x'), () => 'help', 10n]);
  if (kind === 1) return randomString(r, r.chance(0.2) ? 5000 : 200); // sometimes over the 1,000-character limit
  if (kind === 2) return 'x'.repeat(r.int(990, 1010)); // around the limit
  if (kind === 3) return `${r.pick(VERBS)} ${'a'.repeat(r.int(900, 1200))}`;
  const words = Array.from({ length: r.int(0, 6) }, () => (r.chance(0.5) ? r.pick(NASTY) : randomString(r, 20)));
  const verb = r.chance(0.8) ? r.pick(VERBS) : randomString(r, 10);
  const cased = r.chance(0.2) ? verb.toUpperCase() : verb;
  const sep = () => r.pick([' ', '  ', '\t', '\u00a0', '\n', '\u3000', '\u0000', '']);
  return [cased, ...words].join(sep()) + (r.chance(0.1) ? sep() : '');
}

describe('fuzz: parseCommand', () => {
  it(`answers ${COUNT} hostile command lines with a command or a short reply, and never throws (seed ${SEED})`, () => {
    const r = mulberry32(SEED);
    const crashes: { input: unknown; problem: string }[] = [];
    let ok = 0;
    let refused = 0;
    for (let i = 0; i < COUNT; i++) {
      const input = commandLine(r);
      try {
        const result = parseCommand(input);
        if (result.ok) {
          if (!result.command || !(result.command.name in USAGE)) crashes.push({ input, problem: `bad command ${JSON.stringify(result)}` });
          else ok++;
        } else if (typeof result.reply !== 'string' || result.reply.trim() === '' || result.reply.length > 2000) {
          crashes.push({ input, problem: `bad reply (${typeof result.reply === 'string' ? result.reply.length : typeof result.reply} chars)` });
        } else refused++;
      } catch (err) {
        crashes.push({ input, problem: `threw ${(err as Error).message}` });
      }
    }
    console.log(`fuzz parser: seed ${SEED}, ${COUNT} inputs (${ok} commands, ${refused} refusals), ${crashes.length} crashes`);
    expect(crashes.slice(0, 5).map((c) => ({ ...c, input: typeof c.input === 'string' ? JSON.stringify(c.input.slice(0, 200)) : String(c.input) }))).toEqual([]);
    expect(ok).toBeGreaterThan(COUNT / 10);
    expect(refused).toBeGreaterThan(COUNT / 10);
  });
});
