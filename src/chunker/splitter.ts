/**
 * Feeds any slicing of a byte stream through a chunker and yields chunks; the cuts do not
 * depend on how the input was sliced.
 *
 * `Splitter` is the synchronous core; `splitBuffer` and `splitStream` are thin adapters.
 * Chunks are views into an internal buffer: each is valid until the next `push`/`finish`
 * call (or the next step of the async iterator). Copy a chunk to keep it.
 */
import type { Chunker } from './chunker.js';

/** Synchronous streaming splitter over one chunker. */
export class Splitter {
  private buffer: Uint8Array;
  private start = 0;
  private end = 0;

  /** @param chunker the chunker; its `maxSize` sets the buffer size (4 x maxSize, at least 1 MiB). */
  constructor(private readonly chunker: Chunker) {
    this.buffer = new Uint8Array(Math.max(4 * chunker.maxSize, 1 << 20));
  }

  /** Adds bytes and returns the chunks now complete (views valid until the next call). */
  push(data: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let offset = 0;
    let copied = 0;
    while (offset < data.length) {
      this.compact();
      const take = Math.min(data.length - offset, this.buffer.length - this.end);
      this.buffer.set(data.subarray(offset, offset + take), this.end);
      this.end += take;
      offset += take;
      this.drain(out, false);
      if (offset < data.length) {
        // More input will move the buffer's bytes: detach the chunks found so far.
        for (; copied < out.length; copied++) out[copied] = out[copied]!.slice();
      }
    }
    return out;
  }

  /** Signals end of input and returns the remaining chunks. */
  finish(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.drain(out, true);
    return out;
  }

  private drain(out: Uint8Array[], final: boolean): void {
    const max = this.chunker.maxSize;
    while (this.end > this.start && (final || this.end - this.start >= max)) {
      const n = this.chunker.cut(this.buffer, this.start, this.end, final);
      out.push(this.buffer.subarray(this.start, this.start + n));
      this.start += n;
    }
  }

  /** Moves unconsumed bytes to the front when the free tail gets short. */
  private compact(): void {
    if (this.start === 0) return;
    if (this.buffer.length - this.end >= this.chunker.maxSize && this.start < this.buffer.length / 2) return;
    this.buffer.copyWithin(0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }
}

/** Cut lengths of a whole in-memory buffer (no copying); their sum is `data.length`. */
export function cutLengths(data: Uint8Array, chunker: Chunker): number[] {
  const lengths: number[] = [];
  let start = 0;
  while (start < data.length) {
    const n = chunker.cut(data, start, data.length, data.length - start <= chunker.maxSize);
    lengths.push(n);
    start += n;
  }
  return lengths;
}

/** Chunks of a whole in-memory buffer, as zero-copy views into it. */
export function splitBuffer(data: Uint8Array, chunker: Chunker): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const n of cutLengths(data, chunker)) {
    out.push(data.subarray(start, start + n));
    start += n;
  }
  return out;
}

/** Chunks of an async byte stream; each yielded view is valid until the iteration continues. */
export async function* splitStream(source: AsyncIterable<Uint8Array>, chunker: Chunker): AsyncGenerator<Uint8Array> {
  const splitter = new Splitter(chunker);
  for await (const data of source) yield* splitter.push(data);
  yield* splitter.finish();
}
