/**
 * Worker threads that cut and hash segments of a buffer for the parallel ingest path.
 *
 * Two jobs: `segment` runs FastCDC from a given offset and hashes each chunk; `hash` hashes
 * ranges whose cuts the main thread already knows (for the page chunker, whose cuts are
 * cheap). The worker's FastCDC driver mirrors `FastCdcChunker.cut` line for line and runs
 * the same WebAssembly scan (its bytes sent from the main thread); test/ingest proves the
 * cuts and ids equal the sequential ones. Only the napi BLAKE3 binding is used in workers; when the main thread
 * runs another binding the pool is not used (see {@link parallelHashAvailable}).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { WorkerPool } from '../cas/worker-pool.js';
import { GEAR_SCAN_LAYOUT, GEAR_SCAN_WASM } from '../chunker/index.js';
import { blake3Binding } from '../hash/index.js';

/** FastCDC sizes as the worker needs them. */
export interface FastCdcJobParams {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
}

/** A worker's answer: chunk lengths and their 32-byte digests end to end. */
export interface SegmentResult {
  readonly lengths: Uint32Array;
  readonly digests: Uint8Array;
}

const SETUP_SOURCE = `
function setup(data) {
  const blake = require(data.blakePath);
  const empty = blake.blake3(new Uint8Array(0)).toString('hex');
  if (empty !== 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262') throw new Error('napi blake3 self-test failed');
  // The WebAssembly gear scan of src/chunker/gear-scan-wasm.ts (bytes sent from the main thread).
  const wasm = new WebAssembly.Instance(new WebAssembly.Module(data.gearScanWasm));
  const scan = wasm.exports.scan;
  const mem = new Uint8Array(wasm.exports.memory.buffer);
  const words = new Int32Array(wasm.exports.memory.buffer);
  const DATA_BASE = data.dataBase;
  const COPY_BLOCK = data.copyBlock;
  let carry = 0;
  // Mirror of GearScanner.find.
  function find(buf, from, to, mask, h) {
    for (let at = from; at < to; ) {
      const len = Math.min(COPY_BLOCK, to - at);
      mem.set(buf.subarray(at, at + len), DATA_BASE);
      const past = scan(DATA_BASE, DATA_BASE + len, mask, h);
      if (past !== 0) return at + (past - DATA_BASE);
      h = words[data.hAddr >> 2];
      at += len;
    }
    carry = h;
    return -1;
  }
  function topBitsMask(bits) {
    return bits <= 0 ? 0 : (0xffffffff << (32 - bits)) | 0;
  }
  // Mirror of FastCdcChunker.cut (src/chunker/fastcdc.ts) for n > minSize.
  function fastcdcCut(buf, start, end, final, p) {
    let n = end - start;
    if (n <= p.minSize) return n;
    if (n > p.maxSize) n = p.maxSize;
    const normalEnd = start + (n < p.avgSize ? n : p.avgSize);
    const hardEnd = start + n;
    const hard = find(buf, start + p.minSize, normalEnd, p.maskHard, 0);
    if (hard >= 0) return hard - start;
    const easy = find(buf, normalEnd, hardEnd, p.maskEasy, carry);
    return easy >= 0 ? easy - start : n;
  }
  function hashInto(buf, start, n, digests, k) {
    digests.set(blake.blake3(buf.subarray(start, start + n)), k * 32);
  }
  return (msg) => {
    const buf = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (msg.op === 'hash') {
      const lengths = msg.lengths;
      const digests = new Uint8Array(lengths.length * 32);
      let at = msg.from;
      for (let k = 0; k < lengths.length; k++) {
        hashInto(buf, at, lengths[k], digests, k);
        at += lengths[k];
      }
      return { result: { lengths, digests }, transfer: [digests.buffer] };
    }
    const bits = Math.log2(msg.params.avgSize);
    const p = { minSize: msg.params.minSize, avgSize: msg.params.avgSize, maxSize: msg.params.maxSize, maskHard: topBitsMask(bits + 2), maskEasy: topBitsMask(bits - 2) };
    // Chunks that start before 'to', cut over bytes up to 'end' (final when end is the input's end).
    const out = [];
    let s = msg.from;
    while (s < msg.to && (msg.final || msg.end - s >= p.maxSize)) {
      const n = fastcdcCut(buf, s, msg.end, msg.final, p);
      out.push(n);
      s += n;
    }
    const lengths = Uint32Array.from(out);
    const digests = new Uint8Array(lengths.length * 32);
    let at = msg.from;
    for (let k = 0; k < lengths.length; k++) {
      hashInto(buf, at, lengths[k], digests, k);
      at += lengths[k];
    }
    return { result: { lengths, digests }, transfer: [lengths.buffer, digests.buffer] };
  };
}
`;

/** Whether the parallel path can give the same ids as this thread (it needs the napi binding). */
export function parallelHashAvailable(): boolean {
  return blake3Binding.name === 'napi';
}

/** A pool of chunk-and-hash workers; share one per process ({@link sharedHashPool}). */
export class HashPool {
  private readonly pool: WorkerPool;

  /** @param workers thread count; default the machine's available parallelism, at most 4. */
  constructor(workers: number = Math.min(4, availableParallelism())) {
    const require = createRequire(import.meta.url);
    this.pool = new WorkerPool({
      name: 'hash pool',
      size: workers,
      setupSource: SETUP_SOURCE,
      workerData: { blakePath: require.resolve('@napi-rs/blake-hash'), gearScanWasm: GEAR_SCAN_WASM, ...GEAR_SCAN_LAYOUT },
    });
  }

  /** True when the workers run. */
  get ready(): boolean {
    return this.pool.ready;
  }

  /** Starts the workers (idempotent); resolves whether they run. Never rejects. */
  start(): Promise<boolean> {
    return parallelHashAvailable() ? this.pool.start() : Promise.resolve(false);
  }

  /**
   * Cuts with FastCDC from `from` (a hypothetical cut) and hashes chunks that start before
   * `to`, reading bytes up to `end`. `buffer` is shared (SharedArrayBuffer) or copied.
   * Positions are indexes into the view `buffer[byteOffset, byteOffset + byteLength)`.
   * Rejects when the pool is not ready or a worker failed.
   */
  segment(
    view: Uint8Array,
    job: { from: number; to: number; end: number; final: boolean; params: FastCdcJobParams },
  ): Promise<SegmentResult> {
    return this.pool.run<SegmentResult>({ op: 'segment', buffer: view.buffer, byteOffset: view.byteOffset, byteLength: view.byteLength, ...job });
  }

  /** Hashes consecutive chunks of `lengths` starting at index `from` of `view`. */
  hash(view: Uint8Array, from: number, lengths: Uint32Array): Promise<SegmentResult> {
    return this.pool.run<SegmentResult>({ op: 'hash', buffer: view.buffer, byteOffset: view.byteOffset, byteLength: view.byteLength, from, lengths });
  }

  /** Terminates the workers. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: HashPool | undefined;

/** The process-wide hash pool (created on first use; workers start only when asked). */
export function sharedHashPool(): HashPool {
  shared ??= new HashPool();
  return shared;
}
