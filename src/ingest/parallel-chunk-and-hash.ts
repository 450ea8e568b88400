/**
 * Parallel chunk + hash of one buffer, with exactly the cuts and ids of {@link chunkAndHash}.
 *
 * FastCDC: the buffer is split into segments; a worker cuts each segment as if a chunk
 * started at its first byte, and hashes its chunks. The main thread then walks the true
 * (sequential) cuts: the true chunking arrives at segment k at some cut t; if t is also one
 * of the worker's cuts for segment k, every later cut of that worker is true too (a cut
 * depends only on the bytes after the previous cut), so its chunks are taken as they are.
 * If not, the main thread cuts and hashes one chunk itself and tries again; for ordinary
 * data the two meet within a chunk or two, and where they never do (long runs of one byte)
 * the main thread simply chunks the rest of the segment sequentially.
 *
 * Other chunkers (page-aligned SQLite images) have cheap cuts: the main thread cuts, the
 * workers only hash.
 *
 * Results come as an async iterable of ordered batches, one per segment, so a consumer can
 * store segment k while the workers cut and hash the next ones.
 */
import { FastCdcChunker, type Chunker } from '../chunker/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { contentIdFromBytes, hashContent, type ContentId } from '../hash/index.js';
import { chunkAndHash, type ChunkList } from './chunk-and-hash.js';
import { sharedHashPool, type HashPool, type SegmentResult } from './hash-pool.js';

/** One ordered run of chunks. */
export interface ChunkBatch extends ChunkList {
  /** Offset in the input of the batch's first chunk. */
  readonly offset: number;
}

/** Options of the parallel chunk-and-hash functions. */
export interface ParallelChunkOptions {
  /** Worker pool; default the process-wide {@link sharedHashPool}. */
  readonly pool?: HashPool;
  /** Bytes per worker job, default 4 MiB; at least 4 x the chunker's `maxSize`. */
  readonly segmentBytes?: number;
  /**
   * Inputs shorter than this are cut in the calling thread, default {@link PARALLEL_MIN_BYTES}.
   * Set 0 to force the workers (tests).
   */
  readonly minParallelBytes?: number;
  /**
   * True (default) when the input ends with `data`. False when more bytes follow: then only
   * chunks that are certain are returned, i.e. cutting stops once fewer than `maxSize` bytes
   * remain after the last cut, exactly as a streaming splitter would.
   */
  readonly final?: boolean;
}

/** Below this many bytes a buffer is cut and hashed in the calling thread (measured crossover). */
export const PARALLEL_MIN_BYTES = 4 << 20;

/** Default bytes per worker job. */
export const DEFAULT_SEGMENT_BYTES = 4 << 20;

/**
 * Cuts and hashes `data` on worker threads (in order batches); see the file comment.
 * Falls back to the calling thread when the input is small, the pool cannot start, or
 * BLAKE3 is not the napi binding. @throws InvalidArgumentError for a bad `segmentBytes`.
 */
export async function* chunkAndHashStream(data: Uint8Array, chunker: Chunker, options: ParallelChunkOptions = {}): AsyncGenerator<ChunkBatch> {
  const final = options.final ?? true;
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!Number.isInteger(segmentBytes) || segmentBytes < 4 * chunker.maxSize) {
    throw new InvalidArgumentError(`segmentBytes must be an integer >= 4 x maxSize (${4 * chunker.maxSize}), got ${segmentBytes}`);
  }
  const pool = options.pool ?? sharedHashPool();
  const parallel = data.length >= (options.minParallelBytes ?? PARALLEL_MIN_BYTES) && data.length > 0 && (await pool.start());
  if (!parallel) {
    yield* sequentialBatches(data, chunker, final, segmentBytes);
  } else if (chunker instanceof FastCdcChunker) {
    yield* fastCdcBatches(data, chunker, final, segmentBytes, pool);
  } else {
    yield* knownCutBatches(data, chunker, final, segmentBytes, pool);
  }
}

/** {@link chunkAndHashStream} collected into one list (for whole final inputs). */
export async function chunkAndHashParallel(data: Uint8Array, chunker: Chunker, options: Omit<ParallelChunkOptions, 'final'> = {}): Promise<ChunkList> {
  const lengths: number[] = [];
  const ids: ContentId[] = [];
  for await (const batch of chunkAndHashStream(data, chunker, options)) {
    for (const n of batch.lengths) lengths.push(n);
    for (const id of batch.ids) ids.push(id);
  }
  return { lengths, ids };
}

/** Whether a chunk may be cut at `start`: always when final, else only with `maxSize` bytes ahead. */
function mayCut(n: number, start: number, max: number, final: boolean): boolean {
  return final ? start < n : n - start >= max;
}

function* sequentialBatches(data: Uint8Array, chunker: Chunker, final: boolean, segmentBytes: number): Generator<ChunkBatch> {
  if (final && data.length <= segmentBytes) {
    yield { offset: 0, ...chunkAndHash(data, chunker) };
    return;
  }
  const max = chunker.maxSize;
  let t = 0;
  while (mayCut(data.length, t, max, final)) {
    const batch: ChunkBatch = { offset: t, lengths: [], ids: [] };
    const stop = t + segmentBytes;
    while (t < stop && mayCut(data.length, t, max, final)) t += cutOne(data, chunker, t, batch);
    yield batch;
  }
}

/** Cuts and hashes the one chunk at `t` in this thread, appending it to `batch`; returns its length. */
function cutOne(data: Uint8Array, chunker: Chunker, t: number, batch: ChunkList): number {
  const n = chunker.cut(data, t, data.length, data.length - t <= chunker.maxSize);
  batch.lengths.push(n);
  batch.ids.push(hashContent(data.subarray(t, t + n)));
  return n;
}

function idsOf(result: SegmentResult, from: number, into: ContentId[]): void {
  for (let k = from; k < result.lengths.length; k++) into.push(contentIdFromBytes(result.digests.subarray(k * 32, k * 32 + 32)));
}

/** Free scratch buffers by size, kept across calls: fresh memory costs page faults (~1.7 GB/s). */
const freeScratch = new Map<number, SharedArrayBuffer[]>();
/** Scratch buffers kept per size (the jobs in flight plus one). */
const MAX_FREE_SCRATCH = 6;

/** Reusable shared scratch buffers for inputs that are not already in shared memory. */
class Scratch {
  private readonly free: SharedArrayBuffer[];
  constructor(private readonly size: number) {
    let free = freeScratch.get(size);
    if (!free) freeScratch.set(size, (free = []));
    this.free = free;
  }
  /** A shared view holding a copy of `data[from, to)`. */
  copy(data: Uint8Array, from: number, to: number): Uint8Array {
    const sab = this.free.pop() ?? new SharedArrayBuffer(this.size);
    const view = new Uint8Array(sab, 0, to - from);
    view.set(data.subarray(from, to));
    return view;
  }
  release(view: Uint8Array): void {
    if (this.free.length < MAX_FREE_SCRATCH) this.free.push(view.buffer as SharedArrayBuffer);
  }
}

interface Job {
  readonly base: number;
  readonly view: Uint8Array | undefined;
  readonly result: Promise<SegmentResult>;
}

/** A job's result; its scratch view goes back to the pool whether the job succeeded or not. */
async function settle(job: Job, scratch: Scratch): Promise<SegmentResult> {
  try {
    return await job.result;
  } finally {
    if (job.view) scratch.release(job.view);
  }
}

async function* fastCdcBatches(data: Uint8Array, chunker: FastCdcChunker, final: boolean, segmentBytes: number, pool: HashPool): AsyncGenerator<ChunkBatch> {
  const n = data.length;
  const max = chunker.maxSize;
  const params = { minSize: chunker.minSize, avgSize: chunker.avgSize, maxSize: max };
  const shared = data.buffer instanceof SharedArrayBuffer;
  const scratch = new Scratch(segmentBytes + max);
  const segments = Math.ceil(n / segmentBytes);
  const submit = (k: number): Job => {
    const from = k * segmentBytes;
    const to = Math.min(n, from + segmentBytes);
    const end = Math.min(n, to + max);
    const isFinal = final && end === n;
    if (shared) return { base: 0, view: undefined, result: pool.segment(data, { from, to, end, final: isFinal, params }) };
    const view = scratch.copy(data, from, end);
    return { base: from, view, result: pool.segment(view, { from: 0, to: to - from, end: end - from, final: isFinal, params }) };
  };
  const ahead = 4;
  const jobs: Job[] = [];
  for (let k = 0; k < Math.min(ahead, segments); k++) jobs.push(submit(k));
  let t = 0;
  for (let k = 0; k < segments; k++) {
    const job = jobs.shift()!;
    const result = await settle(job, scratch);
    if (k + ahead < segments) jobs.push(submit(k + ahead));
    const segStart = k * segmentBytes;
    const segEnd = Math.min(n, segStart + segmentBytes);
    if (t >= segEnd || !mayCut(n, t, max, final)) continue;
    const batch: ChunkBatch = { offset: t, lengths: [], ids: [] };
    let j = 0;
    let p = segStart;
    for (;;) {
      while (j < result.lengths.length && p < t) p += result.lengths[j++]!;
      if (p === t && j < result.lengths.length) {
        // Synchronized: the worker's remaining cuts are the true ones.
        for (let q = j; q < result.lengths.length; q++) {
          batch.lengths.push(result.lengths[q]!);
          t += result.lengths[q]!;
        }
        idsOf(result, j, batch.ids);
        break;
      }
      if (t >= segEnd || !mayCut(n, t, max, final)) break;
      t += cutOne(data, chunker, t, batch);
    }
    if (batch.lengths.length > 0) yield batch;
  }
}

async function* knownCutBatches(data: Uint8Array, chunker: Chunker, final: boolean, segmentBytes: number, pool: HashPool): AsyncGenerator<ChunkBatch> {
  const n = data.length;
  const max = chunker.maxSize;
  const shared = data.buffer instanceof SharedArrayBuffer;
  const scratch = new Scratch(segmentBytes + max);
  let t = 0;
  /** Cuts the chunks that start in the next segment (main thread) and sends them to be hashed. */
  const submit = (): (Job & { offset: number }) | undefined => {
    if (!mayCut(n, t, max, final)) return undefined;
    const offset = t;
    const lengths: number[] = [];
    while (t - offset < segmentBytes && mayCut(n, t, max, final)) {
      const len = chunker.cut(data, t, n, n - t <= max);
      lengths.push(len);
      t += len;
    }
    const cut = Uint32Array.from(lengths);
    if (shared) return { offset, base: 0, view: undefined, result: pool.hash(data, offset, cut) };
    const view = scratch.copy(data, offset, t);
    return { offset, base: offset, view, result: pool.hash(view, 0, cut) };
  };
  const ahead = 4;
  const jobs: (Job & { offset: number })[] = [];
  for (let job = submit(); job; job = jobs.length < ahead ? submit() : undefined) jobs.push(job);
  while (jobs.length > 0) {
    const job = jobs.shift()!;
    const result = await settle(job, scratch);
    const next = submit();
    if (next) jobs.push(next);
    const batch: ChunkBatch = { offset: job.offset, lengths: Array.from(result.lengths), ids: [] };
    idsOf(result, 0, batch.ids);
    yield batch;
  }
}
