/**
 * Shared pieces of the hostile-input suites: a seeded PRNG (mulberry32) so every failure
 * reproduces from the seed it prints, and generators of awkward strings and bytes.
 * FUZZ_SEED=<n> reruns a suite with another seed.
 */

export function fuzzSeed(fallback: number): number {
  const fromEnv = Number(process.env.FUZZ_SEED);
  return Number.isInteger(fromEnv) && process.env.FUZZ_SEED ? fromEnv >>> 0 : fallback;
}

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  int(min: number, maxInclusive: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: (items) => items[int(0, items.length - 1)]!, chance: (p) => next() < p };
}

/** Pieces that tend to break parsers: control characters, odd whitespace, surrogates, markup, huge numbers. */
export const NASTY = [
  '\u0000', '\t', '\n', '\r\n', '\u000b', '\u00a0', '\u2028', '\u2029', '\u200b', '\ufeff', '\u3000', '\u202e',
  '\ud800', '\udfff', '\ud83d', '💥', '👩‍👩‍👧', 'é', 'e\u0301', '\uffff', '\ufffd',
  '<@U0ALICE>', '<!channel>', '@everyone', '*bold*', '`code`', '&amp;', '&lt;', '"', "'", '\\', '/', '..', '../..', '%00', '%', '${x}', '{{x}}',
  '__proto__', 'constructor', 'prototype', 'toString', 'NaN', 'Infinity', '-0', '1e309', '9'.repeat(30), '-1', '0',
  'inc-', 'inc-x', 'inc-20261125-r1-7f3a', 'r1', 'r2', 'all', 'core', '2h', '90m', '7d', '8d', '0m', '1h30m', '-1h', '99999d', '1m',
];

export const CHARSETS = {
  ascii: Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(''),
  id: 'abcdefghijklmnopqrstuvwxyz0123456789._-',
};

/** A random string: printable ASCII, arbitrary UTF-16 code units (lone surrogates included) or nasty pieces. */
export function randomString(r: Rng, maxLen: number): string {
  const len = r.int(0, maxLen);
  let out = '';
  const mode = r.int(0, 3);
  while (out.length < len) {
    if (mode === 0) out += CHARSETS.ascii[r.int(0, CHARSETS.ascii.length - 1)];
    else if (mode === 1) out += String.fromCharCode(r.int(0, 0xffff));
    else if (mode === 2) out += r.pick(NASTY);
    else out += r.chance(0.5) ? CHARSETS.id[r.int(0, CHARSETS.id.length - 1)] : r.pick(NASTY);
  }
  return out;
}

/** Bytes that are not valid UTF-8: stray continuation bytes, overlongs, surrogates encoded, truncated sequences, 0xFE/0xFF. */
export const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0x80]), Buffer.from([0xbf]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xe0, 0x80, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xfe]), Buffer.from([0xff]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf0, 0x9f, 0x92]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xc3]),
];

/** `text` with invalid UTF-8 sequences spliced in at random byte offsets. */
export function withInvalidUtf8(r: Rng, text: string | Buffer, count = r.int(1, 4)): Buffer {
  let bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  for (let i = 0; i < count; i++) {
    const at = r.int(0, bytes.length);
    bytes = Buffer.concat([bytes.subarray(0, at), r.pick(INVALID_UTF8), bytes.subarray(at)]);
  }
  return bytes;
}

/** Random bytes, some of them plain ASCII so parsers get a little way in. */
export function randomBytes(r: Rng, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = r.chance(0.5) ? r.int(32, 126) : r.int(0, 255);
  return b;
}

/** A random JSON-ish value: wrong types, deep nesting, long strings, prototype keys. */
export function randomJson(r: Rng, depth = 0): unknown {
  const k = r.int(0, depth > 3 ? 5 : 8);
  switch (k) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick([0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 64, 600_001, 101]);
    case 3: return randomString(r, 40);
    case 4: return r.pick(NASTY);
    case 5: return r.int(0, 1000);
    case 6: return Array.from({ length: r.int(0, 5) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(0, 5); i > 0; i--) o[r.chance(0.3) ? r.pick(NASTY) : randomString(r, 12)] = randomJson(r, depth + 1);
      return o;
    }
  }
}

/** A value nested `depth` arrays/objects deep. */
export function deepNest(depth: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** JSON text nested `depth` deep, built as text (JSON.stringify of it would overflow the stack); `open` leaves it unterminated. */
export function deepNestJson(depth: number, open = false): string {
  const text = `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
  return open ? text.slice(0, text.length - depth) : text;
}
