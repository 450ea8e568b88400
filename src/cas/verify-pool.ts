/**
 * Decoding and verifying read chunks on worker threads, so a reader's main thread keeps
 * reading packs and writing files while other cores decompress and hash.
 *
 * A job is a {@link PayloadBatch}: buffers read from packs and, per chunk, where its stored
 * payload lies in them, its codec, raw length and id. The worker decodes each payload exactly
 * as `decodePayload` does, hashes it with BLAKE3 and compares the digest with the id; it
 * answers with the raw chunks end to end (in the order given) and one flag per chunk. A
 * chunk whose flag is not set (unread, damaged, wrong hash) carries no bytes: the caller
 * reads it again the ordinary way, which names the pack and offset in its error. Nothing a
 * worker says can make a chunk count as verified without its digest matching its id.
 *
 * Only the napi BLAKE3 binding runs in workers; when the main thread uses another binding,
 * or the pool cannot run (no workers, a worker died), batches are verified in the calling
 * thread, so callers never see a pool failure.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { blake3Binding, contentIdToBytes, hashContent } from '../hash/index.js';
import { decodePayload } from './compression.js';
import type { PayloadBatch } from './payload-batch.js';
import { WorkerPool } from './worker-pool.js';

/** Options of {@link VerifyPool}. */
export interface VerifyPoolOptions {
  /** Worker threads. Default: the machine's available parallelism, at most 4. */
  readonly workers?: number;
  /** Batches of fewer raw bytes than this are verified in the calling thread (a round trip costs more). Default 64 KiB. */
  readonly inlineBelowBytes?: number;
}

/** Decoded chunks of a batch: `chunks[i]` holds chunk i's verified bytes, or undefined when it could not be verified. */
export interface VerifiedBatch {
  readonly chunks: (Uint8Array | undefined)[];
}

/** Plain-JS worker side; mirrors decodePayload and hashContent exactly. */
const SETUP_SOURCE = `
function setup(data) {
  const zstd = require(data.zstdPath);
  const blake = require(data.blakePath);
  if (blake.blake3(Buffer.alloc(0)).toString('hex') !== 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262') throw new Error('napi blake3 self-test failed');
  const decompressor = new zstd.Decompressor();
  return (msg) => {
    const { runs, run, at, stored, raw, codec, ids } = msg;
    const n = run.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += raw[i];
    const out = Buffer.allocUnsafeSlow(total);
    const ok = new Uint8Array(n);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const r = run[i];
      if (r >= 0) {
        let bytes;
        try {
          const src = new Uint8Array(runs[r], at[i], stored[i]);
          if (codec[i] === 0) bytes = src;
          else if (codec[i] === 1) bytes = decompressor.decompress(src);
        } catch {
          bytes = undefined;
        }
        if (bytes !== undefined && bytes.length === raw[i] && blake.blake3(bytes).equals(ids.subarray(32 * i, 32 * i + 32))) {
          out.set(bytes, pos);
          ok[i] = 1;
        }
      }
      pos += raw[i];
    }
    return { result: { bytes: out, ok }, transfer: [out.buffer, ok.buffer] };
  };
}
`;

/** Verifies a batch in the calling thread (the fallback and the small-batch path). */
export function verifyBatchInline(batch: PayloadBatch): VerifiedBatch {
  const chunks: (Uint8Array | undefined)[] = [];
  batch.locations.forEach((loc, i) => {
    const r = batch.run[i]!;
    if (r < 0) return void chunks.push(undefined);
    const stored = batch.runs[r]!.subarray(batch.at[i]!, batch.at[i]! + loc.storedLength);
    try {
      const raw = decodePayload(loc.codec, stored, loc.rawLength);
      chunks.push(hashContent(raw) === loc.id ? raw : undefined);
    } catch {
      chunks.push(undefined);
    }
  });
  return { chunks };
}

/** Verifies payload batches on worker threads. Share one per process: {@link sharedVerifyPool}. */
export class VerifyPool {
  private readonly pool: WorkerPool;
  private readonly inlineBelowBytes: number;
  private readonly usable: boolean;

  constructor(options: VerifyPoolOptions = {}) {
    this.inlineBelowBytes = options.inlineBelowBytes ?? 64 << 10;
    this.usable = blake3Binding.name === 'napi';
    const require = createRequire(import.meta.url);
    this.pool = new WorkerPool({
      name: 'verify pool',
      size: options.workers ?? Math.min(4, availableParallelism()),
      setupSource: SETUP_SOURCE,
      workerData: { zstdPath: require.resolve('zstd-napi'), blakePath: require.resolve('@napi-rs/blake-hash') },
    });
  }

  /** True when workers are running and batches go to them. */
  get ready(): boolean {
    return this.usable && this.pool.ready;
  }

  /** Batches sent to workers and not yet answered. */
  get busy(): number {
    return this.pool.busy;
  }

  /** Starts the workers (idempotent); resolves whether they run. Never rejects. */
  start(): Promise<boolean> {
    return this.usable ? this.pool.start() : Promise.resolve(false);
  }

  /**
   * Decodes and verifies every chunk of `batch`: on a worker when the pool is ready and the
   * batch is large enough, else in the calling thread. The batch's buffers may be transferred
   * to the worker (the caller must not use them afterwards). Never rejects for a pool failure.
   */
  async verify(batch: PayloadBatch): Promise<VerifiedBatch> {
    let total = 0;
    for (const loc of batch.locations) total += loc.rawLength;
    if (!this.ready || total < this.inlineBelowBytes) return verifyBatchInline(batch);
    const n = batch.locations.length;
    const meta = {
      stored: new Int32Array(n),
      raw: new Int32Array(n),
      codec: new Uint8Array(n),
      ids: new Uint8Array(32 * n),
    };
    batch.locations.forEach((loc, i) => {
      meta.stored[i] = loc.storedLength;
      meta.raw[i] = loc.rawLength;
      meta.codec[i] = loc.codec;
      meta.ids.set(contentIdToBytes(loc.id), 32 * i);
    });
    // Whole buffers move to the worker; a view of a larger (e.g. Node's pooled) buffer is
    // copied out first (new Uint8Array(view) copies; Buffer#slice would not).
    const runs = batch.runs.map((b) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b)).buffer as ArrayBuffer);
    try {
      const reply = await this.pool.run<{ bytes: Uint8Array; ok: Uint8Array }>({ runs, run: batch.run, at: batch.at, ...meta }, runs);
      const chunks: (Uint8Array | undefined)[] = [];
      let pos = 0;
      for (let i = 0; i < n; i++) {
        const length = meta.raw[i]!;
        chunks.push(reply.ok[i] === 1 ? reply.bytes.subarray(pos, pos + length) : undefined);
        pos += length;
      }
      return { chunks };
    } catch {
      // The buffers went to a worker that failed: the caller reads these chunks again.
      return { chunks: new Array<undefined>(n).fill(undefined) };
    }
  }

  /** Terminates the workers; later batches are verified in the calling thread. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: VerifyPool | undefined;

/** The process-wide pool used by chunk readers (created on first use; workers start only when asked). */
export function sharedVerifyPool(): VerifyPool {
  shared ??= new VerifyPool();
  return shared;
}
