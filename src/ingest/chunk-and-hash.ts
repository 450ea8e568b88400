/**
 * Sequential chunk + hash of one in-memory buffer: the reference every parallel path must
 * reproduce exactly (same cuts, same ids).
 */
import type { Chunker } from '../chunker/index.js';
import { hashContent, type ContentId } from '../hash/index.js';

/** The chunks of a byte range: lengths in order, and each chunk's id. */
export interface ChunkList {
  /** Chunk lengths in bytes, in order; they sum to the input's length. */
  readonly lengths: number[];
  /** BLAKE3-256 id of each chunk, parallel to `lengths`. */
  readonly ids: ContentId[];
}

/**
 * Cuts `data` with `chunker` and hashes every chunk, in the calling thread.
 * Empty input gives empty lists. Throws only what the chunker throws.
 */
export function chunkAndHash(data: Uint8Array, chunker: Chunker): ChunkList {
  const lengths: number[] = [];
  const ids: ContentId[] = [];
  const max = chunker.maxSize;
  let start = 0;
  while (start < data.length) {
    const n = chunker.cut(data, start, data.length, data.length - start <= max);
    ids.push(hashContent(data.subarray(start, start + n)));
    lengths.push(n);
    start += n;
  }
  return { lengths, ids };
}
