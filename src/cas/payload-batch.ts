/**
 * Reading the stored payloads of many located chunks with few range reads: chunks are
 * sorted by pack and offset, and neighbours whose payloads lie close together in one pack
 * are read with one `getRange`. Chunks are written to packs in the order a capture meets
 * them, so a restore's chunks mostly come back as long sequential runs (the bench agent:
 * ~29k chunks in ~100 reads instead of 29k). Nothing is verified here: see verify-pool.ts.
 */
import { NotFoundError } from '../errors/index.js';
import type { ObjectBackend } from './backend/object-backend.js';
import type { ChunkLocation } from './chunk-index.js';
import { packKey, payloadOffset } from './pack-format.js';

/** Payloads of located chunks as read, not yet verified. */
export interface PayloadBatch {
  /** The chunks, in the caller's order. */
  readonly locations: readonly ChunkLocation[];
  /** Buffers read, each a range of one pack. */
  readonly runs: Uint8Array[];
  /** Per chunk: index into `runs` of the buffer holding its payload; -1 when it could not be read (missing or short pack). */
  readonly run: Int32Array;
  /** Per chunk: offset of its stored payload in that buffer. */
  readonly at: Int32Array;
}

/** Options of {@link readPayloads}. */
export interface ReadPayloadsOptions {
  /** Unneeded bytes a read may span between two payloads rather than start a new read. Default 64 KiB. */
  readonly maxGapBytes?: number;
  /** Longest single read, in bytes (a longer payload is read alone). Default 8 MiB. */
  readonly maxReadBytes?: number;
}

/**
 * Reads the payloads of `locations` from `backend`, coalescing reads within each pack. A
 * pack that is missing or shorter than a payload needs is not an error here: the chunks
 * concerned get run -1, and the caller reads them one by one (which reports the damage).
 * @throws what the backend throws other than NotFoundError (I/O errors).
 */
export async function readPayloads(backend: Pick<ObjectBackend, 'getRange'>, locations: readonly ChunkLocation[], options: ReadPayloadsOptions = {}): Promise<PayloadBatch> {
  const maxGap = options.maxGapBytes ?? 64 << 10;
  const maxRead = options.maxReadBytes ?? 8 << 20;
  const n = locations.length;
  const run = new Int32Array(n).fill(-1);
  const at = new Int32Array(n);
  const runs: Uint8Array[] = [];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const x = locations[a]!;
    const y = locations[b]!;
    return x.pack < y.pack ? -1 : x.pack > y.pack ? 1 : x.offset - y.offset;
  });
  for (let k = 0; k < n; ) {
    // One read: from the first payload to the end of the last one close enough to join it.
    const first = locations[order[k]!]!;
    const start = payloadOffset(first);
    let end = start + first.storedLength;
    let j = k + 1;
    for (; j < n; j++) {
      const next = locations[order[j]!]!;
      const from = payloadOffset(next);
      const to = Math.max(end, from + next.storedLength);
      if (next.pack !== first.pack || from - end > maxGap || to - start > maxRead) break;
      end = to;
    }
    const bytes = await readRange(backend, first.pack, start, end - start);
    if (bytes !== undefined) {
      runs.push(bytes);
      for (let m = k; m < j; m++) {
        const i = order[m]!;
        const loc = locations[i]!;
        const offset = payloadOffset(loc) - start;
        if (offset + loc.storedLength <= bytes.length) {
          run[i] = runs.length - 1;
          at[i] = offset;
        }
      }
    }
    k = j;
  }
  return { locations, runs, run, at };
}

/** A range of a pack, or undefined when the pack is missing. */
async function readRange(backend: Pick<ObjectBackend, 'getRange'>, pack: string, offset: number, length: number): Promise<Uint8Array | undefined> {
  try {
    return await backend.getRange(packKey(pack), offset, length);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
