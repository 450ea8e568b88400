import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fileChunker, pageChunker, Splitter, type Chunker } from '../../src/chunker/index.js';
import { hashContent } from '../../src/hash/index.js';
import { chunkAndHash, chunkAndHashParallel, chunkAndHashStream, HashPool } from '../../src/ingest/index.js';

const pool = new HashPool(2);
afterAll(() => pool.close());

const chunkers: Chunker[] = [fileChunker('fastcdc-v1-16k'), fileChunker('fastcdc-v1-8k'), pageChunker('pages-v1-8k', 4096)];

/** Random bytes with stretches of low entropy (runs of one byte, a repeated pattern) mixed in. */
function mixedData(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(randomBytes(size));
  let at = seed % 997;
  while (at < size) {
    const len = Math.min(size - at, 50_000 + ((at * 31 + seed) % 150_000));
    if ((at + seed) % 3 === 0) out.fill(seed & 0xff, at, at + len);
    else if ((at + seed) % 3 === 1) for (let i = at; i < at + len; i++) out[i] = i % 7;
    at += len + 200_000;
  }
  return out;
}

describe('chunkAndHash', () => {
  it('hashes each chunk of the sequential cuts', () => {
    const data = randomBytes(300_000);
    const { lengths, ids } = chunkAndHash(data, chunkers[0]!);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(data.length);
    let at = 0;
    lengths.forEach((n, i) => {
      expect(ids[i]).toBe(hashContent(data.subarray(at, at + n)));
      at += n;
    });
  });
});

describe('parallel chunk and hash', () => {
  it('gives exactly the sequential cuts and ids on random data of many sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3_000_000 }), fc.integer({ min: 0, max: 2 }), fc.boolean(), async (size, which, shared) => {
        const chunker = chunkers[which]!;
        let data: Uint8Array = randomBytes(size);
        if (shared) {
          const copy = new Uint8Array(new SharedArrayBuffer(Math.max(1, size)), 0, size);
          copy.set(data);
          data = copy;
        }
        const got = await chunkAndHashParallel(data, chunker, { pool, minParallelBytes: 0, segmentBytes: 256 << 10 });
        expect(got).toEqual(chunkAndHash(data, chunker));
      }),
      { numRuns: 30 },
    );
  });

  it('agrees where segment chunkings meet late or never (low-entropy stretches)', async () => {
    for (const [i, chunker] of chunkers.entries()) {
      const data = mixedData(4_000_000 + i * 12_345, 11 + i);
      const got = await chunkAndHashParallel(data, chunker, { pool, minParallelBytes: 0, segmentBytes: 256 << 10 });
      expect(got).toEqual(chunkAndHash(data, chunker));
    }
    const zeros = new Uint8Array(3_000_001);
    expect(await chunkAndHashParallel(zeros, chunkers[0]!, { pool, minParallelBytes: 0, segmentBytes: 300_000 })).toEqual(chunkAndHash(zeros, chunkers[0]!));
  });

  it('returns only certain chunks when the input is not final, like a streaming splitter', async () => {
    const data = randomBytes(2_500_000);
    for (const chunker of chunkers) {
      const want = new Splitter(chunker).push(data).map((c) => c.length);
      const got: number[] = [];
      for await (const batch of chunkAndHashStream(data, chunker, { pool, minParallelBytes: 0, segmentBytes: 256 << 10, final: false })) {
        got.push(...batch.lengths);
      }
      expect(got).toEqual(want);
    }
  });

  it('uses the calling thread below the crossover and still agrees', async () => {
    const data = randomBytes(100_000);
    expect(await chunkAndHashParallel(data, chunkers[0]!, { pool })).toEqual(chunkAndHash(data, chunkers[0]!));
  });
});
