/**
 * Property tests: the cuts are a function of the bytes alone. However the input is sliced
 * and fed (Splitter, splitStream), the chunks equal `cutLengths` on the whole buffer, and
 * every chunk obeys its chunker's size rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FastCdcChunker,
  PageChunker,
  Splitter,
  cutLengths,
  fileChunker,
  pageChunker,
  splitBuffer,
  splitStream,
  type Chunker,
} from '../../src/chunker/index.js';
import { seededBytes, textLikeBytes } from '../helpers/seeded-random.js';

interface Config {
  label: string;
  chunker: Chunker;
  /** FastCDC: no chunk but the last is shorter. */
  minSize?: number;
  /** Page chunkers: every chunk but the last is whole pages. */
  pageSize?: number;
  /** Longest input to try, in bytes. */
  maxLength: number;
  runs: number;
}

const configs: Config[] = [
  { label: 'fastcdc-v1-16k', chunker: fileChunker('fastcdc-v1-16k'), minSize: 4096, maxLength: 3 << 20, runs: 25 },
  { label: 'fastcdc-v1-8k', chunker: fileChunker('fastcdc-v1-8k'), minSize: 2048, maxLength: 3 << 20, runs: 25 },
  // Small sizes give many cuts (and many edge cases) per byte.
  {
    label: 'fastcdc 64/256/1024',
    chunker: new FastCdcChunker({ name: 'test-tiny', minSize: 64, avgSize: 256, maxSize: 1024 }),
    minSize: 64,
    maxLength: 40_000,
    runs: 150,
  },
  { label: 'pages-v1-8k/512', chunker: pageChunker('pages-v1-8k', 512), pageSize: 512, maxLength: 1 << 20, runs: 40 },
  { label: 'pages-v1-8k/1024', chunker: pageChunker('pages-v1-8k', 1024), pageSize: 1024, maxLength: 3 << 20, runs: 25 },
  { label: 'pages-v1-8k/4096', chunker: pageChunker('pages-v1-8k', 4096), pageSize: 4096, maxLength: 3 << 20, runs: 25 },
  { label: 'pages-v1-8k/65536', chunker: pageChunker('pages-v1-8k', 65536), pageSize: 65536, maxLength: 3 << 20, runs: 15 },
  {
    label: 'pages 512, avg 1 KiB, max 2 KiB',
    chunker: new PageChunker({ name: 'test-pages', avgBytes: 1024, maxBytes: 2048 }, 512),
    pageSize: 512,
    maxLength: 40_000,
    runs: 150,
  },
];

type Kind = 'random' | 'text' | 'zeros' | 'pattern';

function makeInput(kind: Kind, seed: number, length: number): Uint8Array {
  switch (kind) {
    case 'random':
      return seededBytes(seed, length);
    case 'text':
      return textLikeBytes(seed, length);
    case 'zeros':
      return new Uint8Array(length);
    case 'pattern':
      // Short period: the rolling hash and page tails repeat exactly.
      return new Uint8Array(length).map((_, i) => (i * 31) % 97);
  }
}

/** Arbitrary input (kind, seed, length) plus piece sizes to slice it with. */
function inputAndSlicing(cfg: Config) {
  const max = cfg.chunker.maxSize;
  const length = fc.oneof(
    fc.integer({ min: 0, max: 3 * max }),
    fc.integer({ min: 0, max: cfg.maxLength }),
    // Exact multiples of the page size or max size, plus or minus one.
    fc.tuple(fc.integer({ min: 0, max: Math.floor(cfg.maxLength / max) }), fc.integer({ min: -1, max: 1 })).map(([k, d]) => Math.max(0, k * max + d)),
  );
  // Pieces: tiny, around maxSize, and larger than the Splitter's buffer (4 x maxSize, >= 1 MiB).
  const piece = fc.oneof(fc.integer({ min: 0, max: 17 }), fc.integer({ min: 0, max: 2 * max }), fc.integer({ min: 0, max: cfg.maxLength }));
  return fc.record({
    kind: fc.constantFrom<Kind>('random', 'random', 'text', 'zeros', 'pattern'),
    seed: fc.integer(),
    length,
    pieces: fc.array(piece, { maxLength: 40 }),
  });
}

/** Cuts `data` into the given piece sizes; whatever is left over is the last piece. */
function slice(data: Uint8Array, pieces: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const p of pieces) {
    const n = Math.min(p, data.length - offset);
    out.push(data.subarray(offset, offset + n));
    offset += n;
  }
  out.push(data.subarray(offset));
  return out;
}

/** Asserts the size rules of `cfg` on a list of cut lengths for an input of `total` bytes. */
function expectSizeRules(cfg: Config, cuts: number[], total: number): void {
  expect(cuts.reduce((a, b) => a + b, 0)).toBe(total);
  if (total === 0) expect(cuts).toEqual([]);
  cuts.forEach((n, i) => {
    const last = i === cuts.length - 1;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(cfg.chunker.maxSize);
    if (!last && cfg.minSize !== undefined) expect(n).toBeGreaterThanOrEqual(cfg.minSize);
    if (cfg.pageSize !== undefined) {
      // Whole pages, except that the last chunk carries a trailing partial page.
      const remainder = last ? total % cfg.pageSize : 0;
      expect(n % cfg.pageSize).toBe(remainder);
    }
  });
}

/** Checks that each chunk holds the input bytes at its running offset; returns the new offset. */
function expectChunksAt(data: Uint8Array, chunks: Uint8Array[], offset: number): number {
  for (const chunk of chunks) {
    const expected = data.subarray(offset, offset + chunk.length);
    expect(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).equals(expected)).toBe(true);
    offset += chunk.length;
  }
  return offset;
}

describe.each(configs)('$label', (cfg) => {
  it('cutLengths obeys the size rules and splitBuffer gives views of those lengths', () => {
    fc.assert(
      fc.property(inputAndSlicing(cfg), ({ kind, seed, length }) => {
        const data = makeInput(kind, seed, length);
        const cuts = cutLengths(data, cfg.chunker);
        expectSizeRules(cfg, cuts, data.length);
        const views = splitBuffer(data, cfg.chunker);
        expect(views.map((v) => v.length)).toEqual(cuts);
        expect(views.every((v) => v.buffer === data.buffer)).toBe(true);
        expect(expectChunksAt(data, views, 0)).toBe(data.length);
      }),
      { numRuns: cfg.runs },
    );
  });

  it('Splitter gives the same chunks however the input is sliced', () => {
    fc.assert(
      fc.property(inputAndSlicing(cfg), ({ kind, seed, length, pieces }) => {
        const data = makeInput(kind, seed, length);
        const splitter = new Splitter(cfg.chunker);
        const lengths: number[] = [];
        let offset = 0;
        for (const part of slice(data, pieces)) {
          const chunks = splitter.push(part);
          // Views must be intact until the next push, including those found before a compaction.
          offset = expectChunksAt(data, chunks, offset);
          lengths.push(...chunks.map((c) => c.length));
        }
        const rest = splitter.finish();
        offset = expectChunksAt(data, rest, offset);
        lengths.push(...rest.map((c) => c.length));
        expect(offset).toBe(data.length);
        expect(lengths).toEqual(cutLengths(data, cfg.chunker));
      }),
      { numRuns: cfg.runs },
    );
  });

  it('splitStream over an async iterable gives the same chunks', async () => {
    await fc.assert(
      fc.asyncProperty(inputAndSlicing(cfg), async ({ kind, seed, length, pieces }) => {
        const data = makeInput(kind, seed, length);
        const parts = slice(data, pieces);
        async function* source(): AsyncGenerator<Uint8Array> {
          for (const p of parts) yield p;
        }
        const lengths: number[] = [];
        let offset = 0;
        for await (const chunk of splitStream(source(), cfg.chunker)) {
          offset = expectChunksAt(data, [chunk], offset);
          lengths.push(chunk.length);
        }
        expect(offset).toBe(data.length);
        expect(lengths).toEqual(cutLengths(data, cfg.chunker));
      }),
      { numRuns: Math.ceil(cfg.runs / 2) },
    );
  });
});

describe('arbitrary bytes (fast-check generated, not seeded)', () => {
  const tiny = configs.filter((c) => c.maxLength <= 40_000);
  it.each(tiny)('$label: Splitter equals cutLengths and obeys the size rules', (cfg) => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 6000 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 10 }),
        (data, pieces) => {
          const whole = cutLengths(data, cfg.chunker);
          expectSizeRules(cfg, whole, data.length);
          const splitter = new Splitter(cfg.chunker);
          const lengths: number[] = [];
          for (const part of slice(data, pieces)) lengths.push(...splitter.push(part).map((c) => c.length));
          lengths.push(...splitter.finish().map((c) => c.length));
          expect(lengths).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });
});
