/**
 * Storing whole buffers and files: chunk + hash (in parallel for large inputs), then hand
 * every chunk to a chunk writer, which deduplicates, compresses and packs. Returns the
 * ordered chunk list that names the content.
 */
import { open } from 'node:fs/promises';
import type { ChunkWriter } from '../cas/index.js';
import type { Chunker } from '../chunker/index.js';
import { BackendIoError, InvalidArgumentError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import type { ChunkList } from './chunk-and-hash.js';
import { chunkAndHashStream, type ParallelChunkOptions } from './parallel-chunk-and-hash.js';

/** The slice of a writer ingest needs. */
export type IngestWriter = Pick<ChunkWriter, 'putWithId'> & Partial<Pick<ChunkWriter, 'prefetchPresence'>>;

/** Options of {@link ingestBuffer} and {@link ingestFile}. */
export interface IngestOptions extends Omit<ParallelChunkOptions, 'final'> {
  /** Kind byte recorded with every chunk, default 0 (data). */
  readonly kind?: number;
  /** ingestFile: files up to this size are read whole, larger ones in windows. Default 64 MiB. */
  readonly wholeFileBytes?: number;
  /** ingestFile: bytes read per window for larger files. Default 32 MiB. */
  readonly windowBytes?: number;
}

/** The content's chunk list and what the writer newly stored. */
export interface IngestResult extends ChunkList {
  /** Total input bytes. */
  readonly bytes: number;
  /** Chunks the writer stored (not already present). */
  readonly chunksStored: number;
  /** Raw bytes of the chunks the writer stored. */
  readonly bytesStored: number;
}

interface Accumulator {
  lengths: number[];
  ids: ContentId[];
  chunksStored: number;
  bytesStored: number;
}

/** Puts every chunk of `data` (whole or up to its last certain cut) and returns the bytes consumed. */
async function putAll(writer: IngestWriter, data: Uint8Array, chunker: Chunker, options: IngestOptions, final: boolean, acc: Accumulator): Promise<number> {
  let consumed = 0;
  for await (const batch of chunkAndHashStream(data, chunker, { ...options, final })) {
    // One index query per 256 chunks instead of one per chunk (most chunks of a re-captured database exist).
    writer.prefetchPresence?.(batch.ids);
    let at = batch.offset;
    for (let i = 0; i < batch.lengths.length; i++) {
      const n = batch.lengths[i]!;
      const id = batch.ids[i]!;
      const put = await writer.putWithId(id, data.subarray(at, at + n), options.kind);
      if (put.stored) {
        acc.chunksStored++;
        acc.bytesStored += n;
      }
      acc.lengths.push(n);
      acc.ids.push(id);
      at += n;
    }
    consumed = at;
  }
  return consumed;
}

/**
 * Chunks, hashes and stores `data`; the returned list names it. Chunks become durable at the
 * writer's next `flush`. Large buffers are cut and hashed on worker threads while this thread
 * stores earlier chunks. @throws what the writer throws.
 */
export async function ingestBuffer(writer: IngestWriter, data: Uint8Array, chunker: Chunker, options: IngestOptions = {}): Promise<IngestResult> {
  const acc: Accumulator = { lengths: [], ids: [], chunksStored: 0, bytesStored: 0 };
  await putAll(writer, data, chunker, options, true, acc);
  return { ...acc, bytes: data.length };
}

/**
 * Like {@link ingestBuffer} for the file at `path`, read into shared memory (whole, or in
 * windows for large files, carrying the bytes after the last certain cut over), so workers
 * read it without copies. The file should not change while it is read; the caller (capture)
 * checks that. @throws BackendIoError when the file cannot be read.
 */
export async function ingestFile(writer: IngestWriter, path: string, chunker: Chunker, options: IngestOptions = {}): Promise<IngestResult> {
  const whole = options.wholeFileBytes ?? 64 << 20;
  const window = options.windowBytes ?? 32 << 20;
  if (!Number.isInteger(window) || window < 4 * chunker.maxSize) throw new InvalidArgumentError(`windowBytes must be >= ${4 * chunker.maxSize}, got ${window}`);
  const acc: Accumulator = { lengths: [], ids: [], chunksStored: 0, bytesStored: 0 };
  let total = 0;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new BackendIoError('open', path, err);
  }
  try {
    // Bytes beyond the size seen here (a file growing meanwhile) are not read.
    const size = (await handle.stat()).size;
    // A window plus the carried tail, which is shorter than maxSize.
    const capacity = size <= whole ? size : window + chunker.maxSize;
    const buffer = new Uint8Array(new SharedArrayBuffer(Math.max(1, capacity)));
    let filled = 0;
    let position = 0;
    let eof = false;
    while (!eof) {
      while (filled < buffer.length && position < size) {
        const bytesRead = await readAt(handle, buffer, filled, Math.min(buffer.length - filled, size - position), position, path);
        if (bytesRead === 0) break;
        filled += bytesRead;
        position += bytesRead;
      }
      eof = position >= size || filled < buffer.length;
      const view = buffer.subarray(0, filled);
      const consumed = await putAll(writer, view, chunker, options, eof, acc);
      total += consumed;
      if (!eof) {
        buffer.copyWithin(0, consumed, filled);
        filled -= consumed;
      }
    }
  } finally {
    await handle.close();
  }
  return { ...acc, bytes: total };
}

type Handle = Awaited<ReturnType<typeof open>>;

async function readAt(handle: Handle, buffer: Uint8Array, offset: number, length: number, position: number, path: string): Promise<number> {
  try {
    return (await handle.read(buffer, offset, length, position)).bytesRead;
  } catch (err) {
    throw new BackendIoError('read', path, err);
  }
}
