/**
 * BLAKE3 bindings against the BLAKE3 team's official vectors, and against each other.
 *
 * `blake3-vectors.json` is copied from the BLAKE3 repository (unkeyed `hash`, trimmed to the
 * default 32-byte output). It is never edited to make a test pass: a mismatch means a binding
 * is wrong. `@noble/hashes` is the oracle for the random cross-checks.
 */
import { readFileSync } from 'node:fs';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { blake3, blake3Binding, loadBlake3Binding, type Blake3Binding } from '../../src/hash/blake3.js';
import { createRandom, seededBytes } from '../helpers/seeded-random.js';

interface VectorFile {
  cases: { input_len: number; hash: string }[];
}

const vectors = (JSON.parse(readFileSync(new URL('./blake3-vectors.json', import.meta.url), 'utf8')) as VectorFile).cases;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** The official test input: byte i is i % 251. */
function vectorInput(length: number): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = i % 251;
  return data;
}

/** Loads a binding, or records why it cannot load on this machine. */
async function tryLoad(name: Blake3Binding['name']): Promise<Blake3Binding | Error> {
  try {
    return await loadBlake3Binding(name);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

const loaded = {
  napi: await tryLoad('napi'),
  wasm: await tryLoad('wasm'),
  noble: await tryLoad('noble'),
};

/**
 * Hashes `data` incrementally, cutting it at random points. The bytes are passed through one
 * reused scratch buffer that is overwritten after every `update`, so a binding that keeps a
 * reference to its input instead of consuming it gives a wrong digest.
 */
function hashInRandomSlices(binding: Blake3Binding, data: Uint8Array, seed: number): Uint8Array {
  const rnd = createRandom(seed);
  const scratch = new Uint8Array(Math.min(data.length, 3000) + 1);
  const hasher = binding.createHasher();
  let offset = 0;
  while (offset < data.length) {
    const n = Math.min(data.length - offset, rnd.nextInt(scratch.length) + (rnd.nextInt(4) === 0 ? 0 : 1));
    const view = scratch.subarray(0, n);
    view.set(data.subarray(offset, offset + n));
    hasher.update(view);
    scratch.fill(0xa5);
    offset += n;
  }
  return hasher.digest();
}

it('vector file holds every official input length, 32-byte hashes', () => {
  expect(vectors.map((v) => v.input_len)).toEqual([
    0, 1, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096, 4097, 5120, 5121, 6144, 6145, 7168, 7169, 8192, 8193, 16384, 31744, 102400,
  ]);
  for (const v of vectors) expect(v.hash).toMatch(/^[0-9a-f]{64}$/);
});

it('wasm and noble always load (they need no native addon)', () => {
  expect(loaded.wasm).not.toBeInstanceOf(Error);
  expect(loaded.noble).not.toBeInstanceOf(Error);
});

for (const name of ['napi', 'wasm', 'noble'] as const) {
  const binding = loaded[name];
  const available = !(binding instanceof Error);

  describe.runIf(available)(`${name} binding`, () => {
    const b = binding as Blake3Binding;

    it('reports its name', () => {
      expect(b.name).toBe(name);
    });

    it.each(vectors)('one-shot matches the official vector for $input_len bytes', ({ input_len, hash }) => {
      const digest = b.hash(vectorInput(input_len));
      expect(digest).toHaveLength(32);
      expect(hex(digest)).toBe(hash);
    });

    it('incremental hashing in random slices matches every official vector', () => {
      for (const [i, { input_len, hash }] of vectors.entries()) {
        expect(hex(hashInRandomSlices(b, vectorInput(input_len), 1000 + i)), `input_len ${input_len}`).toBe(hash);
      }
    });

    it('a hasher with no updates gives the empty-input hash', () => {
      expect(hex(b.createHasher().digest())).toBe(vectors[0]!.hash);
    });

    it('interleaved hashers and one-shot calls do not disturb each other', () => {
      const x = seededBytes(21, 5000);
      const y = seededBytes(22, 7000);
      const hx = b.createHasher();
      const hy = b.createHasher();
      hx.update(x.subarray(0, 1234));
      hy.update(y.subarray(0, 10));
      b.hash(seededBytes(23, 999));
      hx.update(x.subarray(1234));
      hy.update(y.subarray(10));
      expect(hex(hy.digest())).toBe(hex(nobleBlake3(y)));
      expect(hex(hx.digest())).toBe(hex(nobleBlake3(x)));
    });

    it('agrees with @noble/hashes on random inputs around block, chunk and buffer boundaries', () => {
      const sizes = [0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 4097, 65535, 65536, 65537, (1 << 20) + 7];
      for (const [i, size] of sizes.entries()) {
        const data = seededBytes(500 + i, size);
        const expected = hex(nobleBlake3(data));
        expect(hex(b.hash(data)), `one-shot, ${size} bytes`).toBe(expected);
        expect(hex(hashInRandomSlices(b, data, 700 + i)), `incremental, ${size} bytes`).toBe(expected);
      }
    });

    it('hashes a view at its own offset, not the whole underlying buffer', () => {
      const backing = seededBytes(31, 4096);
      const view = backing.subarray(100, 2100);
      expect(hex(b.hash(view))).toBe(hex(nobleBlake3(backing.slice(100, 2100))));
    });

    it('property: any bytes, any slicing, same digest as noble', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat({ max: 5000 }), { maxLength: 8 }), (data, cuts) => {
          const hasher = b.createHasher();
          let prev = 0;
          for (const c of [...cuts.map((c) => c % (data.length + 1))].sort((p, q) => p - q)) {
            hasher.update(data.subarray(prev, c));
            prev = c;
          }
          hasher.update(data.subarray(prev));
          const expected = hex(nobleBlake3(data));
          expect(hex(hasher.digest())).toBe(expected);
          expect(hex(b.hash(data))).toBe(expected);
        }),
        { numRuns: 200 },
      );
    });
  });
}

describe('active binding', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('blake3() uses a working binding and agrees with noble on a large input', () => {
    expect(['napi', 'wasm', 'noble']).toContain(blake3Binding.name);
    const data = seededBytes(41, (3 << 20) + 5);
    expect(hex(blake3(data))).toBe(hex(nobleBlake3(data)));
  });

  it.skipIf(process.env['MEMSNAP_BLAKE3'] !== undefined)('prefers the native addon when it loads', () => {
    expect(blake3Binding.name).toBe(loaded.napi instanceof Error ? 'wasm' : 'napi');
  });

  const availableNames = (['napi', 'wasm', 'noble'] as const).filter((n) => !(loaded[n] instanceof Error));
  it.each(availableNames)('MEMSNAP_BLAKE3=%s forces that binding', async (name) => {
    vi.stubEnv('MEMSNAP_BLAKE3', name);
    vi.resetModules();
    const fresh = await import('../../src/hash/blake3.js');
    expect(fresh.blake3Binding.name).toBe(name);
    expect(hex(fresh.blake3(vectorInput(1025)))).toBe(vectors.find((v) => v.input_len === 1025)!.hash);
  });
});
