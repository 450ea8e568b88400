/**
 * Chunk compression: zstd through zstd-napi (synchronous, reusable contexts).
 *
 * A payload is stored zstd-compressed only when that saves at least 1/32 of its size;
 * otherwise raw (random data, already-compressed files). Level 3 by default: measured on
 * agent text and SQLite pages it gives ~90% of level 9's ratio at 4-5x the speed
 * (BENCHMARKS.md). Decompression checks the declared raw length.
 */
import { Compressor, Decompressor } from 'zstd-napi';
import { InvalidArgumentError } from '../errors/index.js';
import { Codec } from './pack-format.js';

/** Default zstd level for new stores. */
export const DEFAULT_ZSTD_LEVEL = 3;

/** An encoded payload and the codec that produced it. */
export interface EncodedPayload {
  readonly codec: Codec;
  readonly bytes: Uint8Array;
}

/** Compresses payloads at one zstd level with a reused context. Not thread-safe; one per thread. */
export class PayloadEncoder {
  private readonly compressor = new Compressor();

  /** @param level zstd level 1..19. @throws InvalidArgumentError for other levels. */
  constructor(readonly level: number = DEFAULT_ZSTD_LEVEL) {
    if (!Number.isInteger(level) || level < 1 || level > 19) throw new InvalidArgumentError(`zstd level must be 1..19, got ${level}`);
    this.compressor.setParameters({ compressionLevel: level });
  }

  /** zstd when it saves at least 1/32, else the raw bytes (not copied). */
  encode(raw: Uint8Array): EncodedPayload {
    if (raw.length < 64) return { codec: Codec.Raw, bytes: raw };
    const packed = this.compressor.compress(raw);
    return packed.length <= raw.length - (raw.length >>> 5) ? { codec: Codec.Zstd, bytes: packed } : { codec: Codec.Raw, bytes: raw };
  }
}

let sharedDecompressor: Decompressor | undefined;

/**
 * Decodes a payload. Throws a plain Error (the caller wraps it with pack and offset) when the
 * codec is unknown, the zstd frame is damaged, or the result is not `rawLength` bytes.
 */
export function decodePayload(codec: number, stored: Uint8Array, rawLength: number): Uint8Array {
  if (codec === Codec.Raw) {
    if (stored.length !== rawLength) throw new Error(`raw payload is ${stored.length} bytes, expected ${rawLength}`);
    return stored;
  }
  if (codec !== Codec.Zstd) throw new Error(`unknown codec ${codec}`);
  sharedDecompressor ??= new Decompressor();
  const raw = sharedDecompressor.decompress(stored);
  if (raw.length !== rawLength) throw new Error(`zstd payload decoded to ${raw.length} bytes, expected ${rawLength}`);
  return raw;
}
