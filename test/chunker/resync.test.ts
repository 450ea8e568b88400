/**
 * Re-synchronisation: a small edit changes only the chunks near it, which is the whole point
 * of content-defined chunking (the rest still deduplicates).
 *
 * FastCDC: after inserting, deleting or overwriting a few bytes, the chunks wholly before the
 * edit are unchanged (a prefix), every chunk that starts more than 3 x maxSize past the edit is
 * unchanged (a suffix), and only a few chunks are new. Page chunker: a cut is decided by each
 * page's own tail, so inserting, deleting or moving whole pages creates only a few new chunks
 * around each place that changed.
 *
 * These bounds are statistical, so the runs use fixed fast-check seeds and never flake. Measured
 * over 4000 random 1-64 byte insertions each: FastCDC re-synchronises within 0.5 x maxSize of
 * the edit in 99% of cases, but normalized chunking plus the min-size skip can chain a few
 * missed cuts (worst seen: 1.9 x maxSize for 16k, 2.4 x maxSize for 8k, one edit in 4000 past
 * 2 x maxSize), hence 3 x maxSize here. Over 600 edits, at most 6 new chunks (usually 1).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutLengths, fileChunker, pageChunker, type Chunker } from '../../src/chunker/index.js';
import { seededBytes } from '../helpers/seeded-random.js';

/** Chunk contents as hex SHA-256 digests, in order. */
function chunkIds(data: Uint8Array, chunker: Chunker): string[] {
  const ids: string[] = [];
  let offset = 0;
  for (const n of cutLengths(data, chunker)) {
    ids.push(createHash('sha256').update(data.subarray(offset, offset + n)).digest('hex'));
    offset += n;
  }
  return ids;
}

/** Chunk start offsets for the given cut lengths. */
function starts(cuts: number[]): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const n of cuts) {
    out.push(offset);
    offset += n;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** How many chunks of `after` hold content that no chunk of `before` holds (what a backup must store anew). */
function newChunkCount(before: string[], after: string[]): number {
  const known = new Set(before);
  return after.filter((id) => !known.has(id)).length;
}

type Edit = 'insert' | 'delete' | 'overwrite';

function applyEdit(data: Uint8Array, edit: Edit, at: number, size: number, seed: number): Uint8Array {
  switch (edit) {
    case 'insert':
      return concat(data.subarray(0, at), seededBytes(seed, size), data.subarray(at));
    case 'delete':
      return concat(data.subarray(0, at), data.subarray(at + size));
    case 'overwrite':
      return concat(data.subarray(0, at), seededBytes(seed, size), data.subarray(at + size));
  }
}

describe.each(['fastcdc-v1-16k', 'fastcdc-v1-8k'])('%s re-synchronises after a small edit', (name) => {
  const chunker = fileChunker(name);
  const max = chunker.maxSize;
  const length = 2 << 20;

  it('only chunks near the edit change', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.constantFrom<Edit>('insert', 'delete', 'overwrite'),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 4 * max, max: length - 4 * max }),
        (seed, edit, size, at) => {
          const before = seededBytes(seed, length);
          const after = applyEdit(before, edit, at, size, seed ^ 0x5a5a);
          const shift = after.length - before.length;
          const cutsBefore = cutLengths(before, chunker);
          const cutsAfter = cutLengths(after, chunker);
          const startsBefore = starts(cutsBefore);

          // Prefix: chunks that end at or before the edit are untouched.
          const untouched = cutsBefore.filter((n, i) => startsBefore[i]! + n <= at);
          expect(cutsAfter.slice(0, untouched.length)).toEqual(untouched);

          // Suffix: chunks starting more than 3 x maxSize past the edit are all still there, shifted.
          const farIndex = startsBefore.findIndex((s) => s > at + size + 3 * max);
          expect(farIndex).toBeGreaterThan(0);
          const far = cutsBefore.slice(farIndex);
          expect(cutsAfter.slice(cutsAfter.length - far.length)).toEqual(far);
          const farStartAfter = after.length - far.reduce((a, b) => a + b, 0);
          expect(farStartAfter).toBe(startsBefore[farIndex]! + shift);

          expect(newChunkCount(chunkIds(before, chunker), chunkIds(after, chunker))).toBeLessThanOrEqual(6);
        },
      ),
      { numRuns: 40, seed: 0x3e5c },
    );
  });
});

describe.each([4096, 1024])('pages-v1-8k/%i re-synchronises after page edits', (pageSize) => {
  const chunker = pageChunker('pages-v1-8k', pageSize);
  const pages = 1024;

  it('inserting or deleting a page creates at most 2 new chunks', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: pages - 1 }), fc.boolean(), (seed, page, insert) => {
        const before = seededBytes(seed, pages * pageSize);
        const at = page * pageSize;
        const after = insert
          ? concat(before.subarray(0, at), seededBytes(seed + 1, pageSize), before.subarray(at))
          : concat(before.subarray(0, at), before.subarray(at + pageSize));
        const ids = chunkIds(before, chunker);
        const idsAfter = chunkIds(after, chunker);
        expect(newChunkCount(ids, idsAfter)).toBeLessThanOrEqual(2);
        // And almost everything still deduplicates.
        expect(idsAfter.length - newChunkCount(ids, idsAfter)).toBeGreaterThan(ids.length - 4);
      }),
      { numRuns: 40, seed: 0x9a9e },
    );
  });

  it('moving a run of pages creates at most 6 new chunks', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: pages - 1 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: pages }),
        (seed, from, runLength, to) => {
          const before = seededBytes(seed, pages * pageSize);
          const n = Math.min(runLength, pages - from);
          const run = before.subarray(from * pageSize, (from + n) * pageSize);
          const rest = concat(before.subarray(0, from * pageSize), before.subarray((from + n) * pageSize));
          const dest = Math.min(to, pages - n) * pageSize;
          const after = concat(rest.subarray(0, dest), run, rest.subarray(dest));
          expect(after.length).toBe(before.length);
          // Up to two new chunks where the run was cut out, and two at each end of where it landed.
          expect(newChunkCount(chunkIds(before, chunker), chunkIds(after, chunker))).toBeLessThanOrEqual(6);
        },
      ),
      { numRuns: 40, seed: 0x30fe },
    );
  });

  it('rewriting page 1 header (first 100 bytes) never moves a cut', () => {
    const before = seededBytes(77, 256 * pageSize);
    const after = before.slice();
    after.set(seededBytes(78, 100), 0);
    expect(cutLengths(after, chunker)).toEqual(cutLengths(before, chunker));
  });
});
