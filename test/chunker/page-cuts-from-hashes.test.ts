/**
 * PageChunker.cutPages (cuts from per-page tail hashes, used by incremental database
 * capture) must give exactly the cuts of cutting the image itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PageChunker, PAGES_V1_8K, cutLengths } from '../../src/chunker/index.js';

describe('PageChunker.cutPages', () => {
  it('equals the byte-level cuts for any whole-page image', () => {
    fc.assert(
      fc.property(fc.constantFrom(512, 1024, 4096, 8192, 65536), fc.integer({ min: 1, max: 200 }), fc.integer(), (pageSize, pages, seed) => {
        const chunker = new PageChunker(PAGES_V1_8K, pageSize);
        const image = new Uint8Array(pageSize * pages);
        let x = seed | 1;
        for (let i = 0; i < image.length; i += 16) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          image[i] = x & 0xff;
          // runs of identical pages exercise the forced cut at maxPages
          if ((x & 7) === 0) image.fill(0, i, Math.min(image.length, i + pageSize));
        }
        const bytes = cutLengths(image, chunker);
        const fromHashes = chunker.cutPages(chunker.tailHashes(image)).map((n) => n * pageSize);
        expect(fromHashes).toEqual(bytes);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
