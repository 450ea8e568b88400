/**
 * Deterministic test data: a seeded PRNG (xoshiro128**, seeded through splitmix32), random
 * bytes, compressible "text-like" bytes, and a Shannon entropy meter so tests can assert that
 * their random data really is random (about 8 bits/byte) and their text really is not.
 *
 * The same seed gives the same bytes on every machine and every run: golden vectors
 * (chunk cut points) are recorded against it, so never change these generators. A new
 * generator gets a new function name.
 */

/** A seeded 32-bit PRNG. Not cryptographic; for reproducible test data only. */
export interface SeededRandom {
  /** The next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number;
  /** A uniform integer in `0 .. bound - 1`; `bound` must be in `1 .. 2^32`. */
  nextInt(bound: number): number;
  /** Fills `target` with random bytes and returns it. */
  fill(target: Uint8Array): Uint8Array;
  /** `length` fresh random bytes. */
  bytes(length: number): Uint8Array;
}

/** splitmix32 step, used only to expand a seed into xoshiro's 128-bit state. */
function splitmix32(state: number): [next: number, out: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return [next, z >>> 0];
}

/**
 * A xoshiro128** generator for `seed` (any number; only its low 32 bits are used).
 * Different seeds give unrelated streams.
 */
export function createRandom(seed: number): SeededRandom {
  let sm = seed | 0;
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const [next, out] = splitmix32(sm);
    sm = next;
    s[i] = out;
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1; // the all-zero state is a fixed point

  function nextU32(): number {
    const s0 = s[0]!;
    const s1 = s[1]!;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s[2] = s[2]! ^ s0;
    s[3] = s[3]! ^ s1;
    s[1] = s1 ^ s[2]!;
    s[0] = s0 ^ s[3]!;
    s[2] = s[2]! ^ t;
    const s3 = s[3]!;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  function fill(target: Uint8Array): Uint8Array {
    const whole = target.length & ~3;
    for (let i = 0; i < whole; i += 4) {
      const r = nextU32();
      target[i] = r;
      target[i + 1] = r >>> 8;
      target[i + 2] = r >>> 16;
      target[i + 3] = r >>> 24;
    }
    if (whole < target.length) {
      let r = nextU32();
      for (let i = whole; i < target.length; i++, r >>>= 8) target[i] = r;
    }
    return target;
  }

  return {
    nextU32,
    // Multiply-shift keeps the bias below 2^-32 per draw, far below anything a test can see.
    nextInt: (bound) => Math.floor((nextU32() / 2 ** 32) * bound),
    fill,
    bytes: (length) => fill(new Uint8Array(length)),
  };
}

/** `length` uniformly random bytes from `seed` (about 8 bits/byte of entropy). */
export function seededBytes(seed: number, length: number): Uint8Array {
  return createRandom(seed).bytes(length);
}

const WORDS = (
  'the a of to and in is it that for on with as was at by agent memory note task user tool ' +
  'call result error file read write plan step summary context session token model reply ' +
  'ok done todo next because however then when which this from have been will should ' +
  'project config value key list item search found update status check test run build'
).split(' ');

/**
 * `length` bytes of compressible, English-like ASCII from `seed`: words from a small
 * vocabulary with a skewed (Zipf-like) frequency, spaces, punctuation and newlines.
 * Entropy is well below random data (about 4 bits/byte), like the notes agents write.
 */
export function textLikeBytes(seed: number, length: number): Uint8Array {
  const rnd = createRandom(seed);
  const out = new Uint8Array(length);
  let pos = 0;
  let wordsInLine = 0;
  while (pos < length) {
    // Squaring a uniform draw favours the first words of the vocabulary.
    const u = rnd.nextU32() / 2 ** 32;
    const word = WORDS[Math.floor(u * u * WORDS.length)]!;
    for (let i = 0; i < word.length && pos < length; i++) out[pos++] = word.charCodeAt(i);
    const r = rnd.nextInt(16);
    const sep = ++wordsInLine >= 12 || r === 0 ? '.\n' : r === 1 ? ', ' : ' ';
    if (sep.endsWith('\n')) wordsInLine = 0;
    for (let i = 0; i < sep.length && pos < length; i++) out[pos++] = sep.charCodeAt(i);
  }
  return out;
}

/**
 * Shannon entropy of the byte histogram of `data`, in bits per byte (0 .. 8).
 * An empty input has entropy 0. For uniformly random data it approaches 8 as the
 * length grows (about 8 - 184 / length for short inputs).
 */
export function shannonEntropy(data: Uint8Array): number {
  if (data.length === 0) return 0;
  const counts = new Float64Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]!]!++;
  let bits = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b]!;
    if (c > 0) {
      const p = c / data.length;
      bits -= p * Math.log2(p);
    }
  }
  return bits;
}
