/**
 * The WebAssembly gear scan decides exactly the cuts of the JavaScript loop it replaced:
 * for the frozen parameter sets and arbitrary ones, on random, text-like and degenerate
 * input, at any start offset and end (so scans start, cross and end at every position
 * relative to its 8 KiB copy blocks), and in chunks of any offset inside a larger buffer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FastCdcChunker, GEAR_SCAN_WASM, GearScanner, cutInJs, cutLengths, fileChunker, type Chunker } from '../../src/chunker/index.js';
import { seededBytes, textLikeBytes } from '../helpers/seeded-random.js';

/** The same chunker with the JavaScript loop, as `FastCdcChunker.cut` ran before the WebAssembly scan. */
function jsChunker(c: FastCdcChunker): Chunker {
  return {
    name: `${c.name} (js)`,
    maxSize: c.maxSize,
    cut(data, start, end, final) {
      let n = end - start;
      if (n <= c.minSize) return n;
      if (n > c.maxSize) n = c.maxSize;
      else if (!final && n < c.maxSize) throw new Error('needs more');
      return cutInJs(data, start, start + Math.min(n, c.avgSize), start + n, c.minSize, c.maskHard, c.maskEasy);
    },
  };
}

function input(kind: 'random' | 'text' | 'zeros' | 'pattern', seed: number, length: number): Uint8Array {
  if (kind === 'random') return seededBytes(seed, length);
  if (kind === 'text') return textLikeBytes(seed, length);
  if (kind === 'zeros') return new Uint8Array(length);
  return new Uint8Array(length).map((_, i) => (i * 31) % 97);
}

describe('WebAssembly gear scan', () => {
  it('is a valid module that instantiates here', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(GEAR_SCAN_WASM)).toBe(true);
    expect(() => new GearScanner()).not.toThrow();
  });

  it.each(['fastcdc-v1-16k', 'fastcdc-v1-8k'])('%s cuts like the JavaScript loop on 8 MiB of random and text', (name) => {
    const chunker = fileChunker(name) as FastCdcChunker;
    for (const data of [seededBytes(11, 8 << 20), textLikeBytes(12, 8 << 20)]) {
      expect(cutLengths(data, chunker)).toEqual(cutLengths(data, jsChunker(chunker)));
    }
  });

  it('cuts like the JavaScript loop for any sizes, input and position in the buffer', () => {
    const sizes = fc
      .tuple(fc.integer({ min: 6, max: 18 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }))
      .map(([avgBits, minDiv, maxMul]) => {
        const avgSize = 2 ** avgBits;
        return { minSize: Math.max(64, avgSize >> minDiv), avgSize, maxSize: avgSize << maxMul };
      })
      .filter((s) => s.minSize < s.avgSize);
    fc.assert(
      fc.property(
        sizes,
        fc.constantFrom('random', 'random', 'text', 'zeros', 'pattern'),
        fc.integer(),
        fc.integer({ min: 0, max: 600_000 }),
        fc.integer({ min: 0, max: 9000 }),
        (s, kind, seed, length, offset) => {
          const chunker = new FastCdcChunker({ name: 'test', ...s });
          const whole = input(kind as 'random', seed, offset + length);
          const data = whole.subarray(offset);
          expect(cutLengths(data, chunker)).toEqual(cutLengths(data, jsChunker(chunker)));
          // Single cuts starting anywhere, with and without the end of input.
          for (const start of [0, 1, Math.floor(length / 3), length - s.maxSize - 1]) {
            if (start < 0 || start > length) continue;
            const final = length - start <= s.maxSize;
            expect(chunker.cut(whole, offset + start, whole.length, final)).toBe(jsChunker(chunker).cut(whole, offset + start, whole.length, final));
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
