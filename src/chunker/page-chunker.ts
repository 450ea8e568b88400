/**
 * Page-aligned content-defined chunking for SQLite database images.
 *
 * Cuts fall only on page boundaries. Whether a cut follows a page is decided by a hash of
 * that page's last 64 bytes (where SQLite keeps a B-tree page's oldest cell content, which
 * changes least), so the decision travels with the page: inserting, deleting or moving
 * pages re-synchronizes the cuts within a chunk or two. Page 1's header, which changes on
 * every write, never moves a cut. A chunk is at least one page and at most
 * `maxBytes` (rounded down to whole pages, never less than one page).
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { Chunker } from './chunker.js';

/** Parameters of the page-aligned chunker. */
export interface PageChunkerParams {
  /** Frozen name of the parameter set. */
  readonly name: string;
  /** Target average chunk size in bytes; a page is followed by a cut with probability pageSize / avgBytes. */
  readonly avgBytes: number;
  /** Largest chunk in bytes (rounded down to whole pages, at least one page). */
  readonly maxBytes: number;
}

/** Bytes at the end of each page that decide whether a cut follows it. */
export const PAGE_TAIL_BYTES = 64;

/** Whether `n` is a valid SQLite page size (a power of two from 512 to 65536). */
export function isSqlitePageSize(n: number): boolean {
  return Number.isInteger(n) && n >= 512 && n <= 65536 && (n & (n - 1)) === 0;
}

/** A chunker that cuts SQLite images only between pages. */
export class PageChunker implements Chunker {
  readonly name: string;
  readonly pageSize: number;
  readonly maxSize: number;
  /** A page whose tail hash (unsigned) is below this is followed by a cut. */
  private readonly threshold: number;

  /** @throws InvalidArgumentError for a page size that SQLite cannot have. */
  constructor(params: PageChunkerParams, pageSize: number) {
    if (!isSqlitePageSize(pageSize)) throw new InvalidArgumentError(`bad SQLite page size ${pageSize} (want a power of two 512..65536)`);
    this.name = params.name;
    this.pageSize = pageSize;
    this.maxSize = Math.max(pageSize, Math.floor(params.maxBytes / pageSize) * pageSize);
    this.threshold = Math.min(2 ** 32, Math.floor((2 ** 32 * pageSize) / params.avgBytes));
  }

  cut(data: Uint8Array, start: number, end: number, final: boolean): number {
    const available = end - start;
    if (!final && available < this.maxSize) {
      throw new InvalidArgumentError(`${this.name} needs ${this.maxSize} bytes or the end of input, got ${available}`);
    }
    const limit = Math.min(available, this.maxSize);
    const size = this.pageSize;
    let offset = 0;
    while (offset + size <= limit) {
      offset += size;
      if (pageTailHash(data, start + offset - PAGE_TAIL_BYTES) < this.threshold) return offset;
    }
    // A trailing partial page (not a valid database, but never lose bytes) ends the chunk.
    return offset === 0 || (final && available <= this.maxSize) ? limit : offset;
  }

  /**
   * Chunk sizes, in pages, of a whole-page image whose pages have the given tail hashes
   * ({@link pageTailHash} of each page's last 64 bytes). Gives exactly the cuts `cut` gives
   * on the image itself, without the image: incremental capture recomputes cuts this way.
   */
  cutPages(tailHashes: ArrayLike<number>): number[] {
    const maxPages = this.maxSize / this.pageSize;
    const out: number[] = [];
    let run = 0;
    for (let i = 0; i < tailHashes.length; i++) {
      run++;
      if (tailHashes[i]! < this.threshold || run === maxPages || i === tailHashes.length - 1) {
        out.push(run);
        run = 0;
      }
    }
    return out;
  }

  /** The tail hash of every page of a whole-page image. */
  tailHashes(image: Uint8Array): Uint32Array {
    const pages = Math.floor(image.length / this.pageSize);
    const out = new Uint32Array(pages);
    for (let p = 0; p < pages; p++) out[p] = pageTailHash(image, (p + 1) * this.pageSize - PAGE_TAIL_BYTES);
    return out;
  }
}

/** FNV-1a over 64 bytes, finished with murmur3's fmix32, as an unsigned 32-bit value. */
export function pageTailHash(data: Uint8Array, from: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = from, end = from + PAGE_TAIL_BYTES; i < end; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
