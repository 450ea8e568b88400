/**
 * zstd decompression that never runs ahead of its reader, with a byte cap: the defence
 * against decompression bombs. zstd-napi's DecompressStream turns each input chunk into all
 * of its output at once (a few kB of a bomb become gigabytes in memory before anything
 * downstream can object); this generator yields one output buffer at a time and only when
 * pulled, so memory stays at one buffer plus the consumer's, and it counts every byte
 * against a limit the caller may change as it learns more (the bundle reader raises it
 * once the manifest says how much to expect).
 */
import { createRequire } from 'node:module';
import { CorruptBundleError } from '../errors/index.js';

interface StreamResult {
  0: number;
  1: number;
  2: number;
}
interface DCtx {
  decompressStream(dst: Uint8Array, src: Uint8Array): StreamResult;
}
interface Binding {
  DCtx: new () => DCtx;
  dStreamOutSize(): number;
}

const binding = createRequire(import.meta.url)('zstd-napi/binding.js') as Binding;

/** The cap of a {@link boundedDecompress}, adjustable while it runs. */
export interface ByteCap {
  /** Most decompressed bytes allowed in total. */
  limit: number;
  /** Why the limit is what it is (for the error message). */
  why: string;
  /** Decompressed bytes produced so far. */
  seen: number;
}

/**
 * Decompresses a zstd stream (one or more frames), one output buffer per pull.
 * @throws CorruptBundleError when the output passes `cap.limit`; a plain Error when the
 *   input is not zstd, is damaged (checksum), or ends inside a frame.
 */
export async function* boundedDecompress(source: AsyncIterable<Buffer>, cap: ByteCap): AsyncGenerator<Buffer> {
  const dctx = new binding.DCtx();
  const size = binding.dStreamOutSize();
  let inFrame = false;
  for await (const chunk of source) {
    let src: Buffer = chunk;
    for (;;) {
      const dst = Buffer.allocUnsafe(size);
      const r = dctx.decompressStream(dst, src);
      const ret = r[0];
      const produced = r[1];
      src = src.subarray(r[2]);
      if (produced > 0) {
        cap.seen += produced;
        if (cap.seen > cap.limit) throw new CorruptBundleError('(zstd stream)', `decompresses to more than ${cap.limit} bytes (${cap.why}): refused as a decompression bomb`);
        yield dst.subarray(0, produced);
      }
      if (src.length === 0 && (produced < size || ret === 0)) {
        inFrame = ret !== 0;
        break;
      }
    }
  }
  if (inFrame) throw new Error('Stream ended in middle of compressed data frame');
}
