/**
 * zstd compression of chunk batches on worker threads, so a writer's main thread keeps
 * hashing, deduplicating and writing packs while other cores compress.
 *
 * A batch is many chunks laid end to end in one buffer. Each worker compresses every chunk
 * of a batch with the same rule as {@link PayloadEncoder} (zstd when it saves at least 1/32,
 * raw below 64 bytes or otherwise) at the requested level, and answers with one buffer of
 * payloads. The outcome is byte for byte what `PayloadEncoder` gives in the main thread;
 * a test proves it. When the pool cannot run (no workers, a worker died), `compress` falls
 * back to the main thread, so callers never see a pool failure.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '../errors/index.js';
import { PayloadEncoder, type EncodedPayload } from './compression.js';
import { Codec } from './pack-format.js';
import { WorkerPool } from './worker-pool.js';

/** Options of {@link CompressionPool}. */
export interface CompressionPoolOptions {
  /** Worker threads. Default: the machine's available parallelism, at most 4. */
  readonly workers?: number;
  /** Batches smaller than this many bytes are compressed in the calling thread (a worker round trip costs more). Default 64 KiB. */
  readonly inlineBelowBytes?: number;
}

/**
 * Plain-JS worker side; mirrors PayloadEncoder.encode exactly. It calls zstd's `compress2`
 * through the binding directly, into one output buffer per batch with room for zstd's worst
 * case (as `Compressor.compress` does, so the frames are the same bytes): no buffer per chunk,
 * and no copy of compressed payloads. A payload that is not stored compressed is overwritten
 * with the raw bytes.
 */
const SETUP_SOURCE = `
function setup(data) {
  const zstd = require(data.zstdBindingPath);
  const contexts = new Map();
  function contextFor(level) {
    let c = contexts.get(level);
    if (!c) {
      c = new zstd.CCtx();
      c.setParameter(zstd.CParameter.compressionLevel, level);
      contexts.set(level, c);
    }
    return c;
  }
  return (msg) => {
    const raw = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const lengths = msg.lengths;
    const c = contextFor(msg.level);
    // No payload is longer than its chunk, so chunk i starts at most at the sum of the
    // earlier lengths: room for the batch plus zstd's largest excess over one chunk.
    let excess = 0;
    for (let i = 0; i < lengths.length; i++) excess = Math.max(excess, zstd.compressBound(lengths[i]) - lengths[i]);
    const out = Buffer.allocUnsafeSlow(raw.length + excess);
    const codecs = new Uint8Array(lengths.length);
    const sizes = new Uint32Array(lengths.length);
    let at = 0;
    let pos = 0;
    for (let i = 0; i < lengths.length; i++) {
      const n = lengths[i];
      const chunk = raw.subarray(at, at + n);
      at += n;
      let size = n;
      if (n >= 64) {
        const packed = c.compress2(out.subarray(pos, pos + zstd.compressBound(n)), chunk);
        if (packed <= n - (n >>> 5)) {
          size = packed;
          codecs[i] = 1;
        }
      }
      if (codecs[i] === 0) out.set(chunk, pos);
      sizes[i] = size;
      pos += size;
    }
    // Well-compressed batches are cut out, so memory held per pack stays its stored size.
    let bytes = out.subarray(0, pos);
    if (pos * 2 < out.length) {
      bytes = new Uint8Array(pos);
      bytes.set(out.subarray(0, pos));
    }
    return { result: { bytes, codecs, sizes }, transfer: [bytes.buffer, codecs.buffer, sizes.buffer] };
  };
}
`;

/** Splits a batch into payloads in the main thread with `encoder` (the fallback and the small-batch path). */
export function encodeBatchInline(encoder: PayloadEncoder, raw: Uint8Array, lengths: readonly number[]): EncodedPayload[] {
  const out: EncodedPayload[] = [];
  let at = 0;
  for (const n of lengths) {
    const chunk = raw.subarray(at, at + n);
    at += n;
    out.push(encoder.encode(chunk));
  }
  return out;
}

/** Compresses chunk batches on worker threads. Share one per process: {@link sharedCompressionPool}. */
export class CompressionPool {
  private readonly pool: WorkerPool;
  private readonly fallback = new Map<number, PayloadEncoder>();
  private readonly inlineBelowBytes: number;

  constructor(options: CompressionPoolOptions = {}) {
    this.inlineBelowBytes = options.inlineBelowBytes ?? 64 << 10;
    const require = createRequire(import.meta.url);
    this.pool = new WorkerPool({
      name: 'compression pool',
      size: options.workers ?? Math.min(4, availableParallelism()),
      setupSource: SETUP_SOURCE,
      workerData: { zstdBindingPath: require.resolve('zstd-napi/binding') },
    });
  }

  /** True when workers are running and jobs go to them. */
  get ready(): boolean {
    return this.pool.ready;
  }

  /** Batches sent to workers and not yet answered. */
  get busy(): number {
    return this.pool.busy;
  }

  /** Starts the workers (idempotent); resolves whether they run. Never rejects. */
  start(): Promise<boolean> {
    return this.pool.start();
  }

  /**
   * Encodes the chunks laid end to end in `raw` (lengths in `lengths`) at zstd `level`:
   * on a worker when the pool is ready, else in the main thread. Payloads come back in order;
   * raw payloads are copies, never views of `raw` (the caller may reuse it once this resolves).
   * `raw` in shared memory (a SharedArrayBuffer) reaches the worker without a copy; the
   * caller must not change it until this resolves.
   * @throws InvalidArgumentError for a level outside 1..19 or lengths that do not sum to `raw.length`.
   */
  async compress(raw: Uint8Array, lengths: readonly number[], level: number): Promise<EncodedPayload[]> {
    let sum = 0;
    for (const n of lengths) sum += n;
    if (sum !== raw.length) throw new InvalidArgumentError(`batch lengths sum to ${sum}, batch has ${raw.length} bytes`);
    const encoder = this.encoderFor(level);
    if (!this.pool.ready || raw.length < this.inlineBelowBytes) return this.inline(encoder, raw, lengths);
    // Shared memory is posted as it is. Other bytes are copied into the message (not
    // transferred) so the main thread can still fall back to compressing them itself if the
    // worker dies; posting a view clones its whole ArrayBuffer, so a view of a much larger
    // buffer is cut out first.
    const shared = raw.buffer instanceof SharedArrayBuffer;
    const view = shared || raw.byteLength * 2 >= raw.buffer.byteLength ? raw : raw.slice();
    try {
      const reply = await this.pool.run<{ bytes: Uint8Array; codecs: Uint8Array; sizes: Uint32Array }>({
        buffer: view.buffer,
        byteOffset: view.byteOffset,
        byteLength: view.byteLength,
        lengths: Uint32Array.from(lengths),
        level,
      });
      const out: EncodedPayload[] = [];
      let at = 0;
      for (let i = 0; i < lengths.length; i++) {
        const size = reply.sizes[i]!;
        out.push({ codec: reply.codecs[i] === 1 ? Codec.Zstd : Codec.Raw, bytes: reply.bytes.subarray(at, at + size) });
        at += size;
      }
      return out;
    } catch {
      return this.inline(encoder, raw, lengths);
    }
  }

  private inline(encoder: PayloadEncoder, raw: Uint8Array, lengths: readonly number[]): EncodedPayload[] {
    return encodeBatchInline(encoder, raw, lengths).map((p) => (p.codec === Codec.Raw ? { codec: p.codec, bytes: p.bytes.slice() } : p));
  }

  private encoderFor(level: number): PayloadEncoder {
    let encoder = this.fallback.get(level);
    if (!encoder) {
      encoder = new PayloadEncoder(level);
      this.fallback.set(level, encoder);
    }
    return encoder;
  }

  /** Terminates the workers; later batches are compressed in the main thread. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: CompressionPool | undefined;

/** The process-wide pool used by chunk writers (created on first use; workers start only when asked). */
export function sharedCompressionPool(): CompressionPool {
  shared ??= new CompressionPool();
  return shared;
}
