/**
 * Reusable SharedArrayBuffers of one size, for batches handed to worker threads.
 *
 * Shared memory is posted to a worker without a copy (an ordinary buffer is cloned: measured
 * ~0.3 s of main-thread time per 128 MiB of 1 MiB batches, bench/ingest-ab.ts), and reusing
 * buffers saves the zero-fill and page faults of fresh ones. A buffer given back must no
 * longer be read or written by anyone: the next `take` hands it out again.
 */

/** A free list of equally sized SharedArrayBuffers. */
export class SharedBufferPool {
  private readonly free: SharedArrayBuffer[] = [];

  /**
   * @param bytes size of every buffer, in bytes
   * @param keep  most free buffers kept for reuse (the rest are left to the garbage collector)
   */
  constructor(
    readonly bytes: number,
    private readonly keep: number,
  ) {}

  /** A buffer of `bytes` bytes: a free one (old contents) or a new one (zeros). */
  take(): Uint8Array {
    return new Uint8Array(this.free.pop() ?? new SharedArrayBuffer(this.bytes));
  }

  /** Returns a buffer from {@link take} (any view of it); other buffers are ignored. */
  give(view: Uint8Array): void {
    const buffer = view.buffer;
    if (buffer instanceof SharedArrayBuffer && buffer.byteLength === this.bytes && this.free.length < this.keep && !this.free.includes(buffer)) {
      this.free.push(buffer);
    }
  }
}
