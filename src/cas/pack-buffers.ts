/**
 * Reusable memory for laying out packs: a writer builds each pack straight into one buffer
 * (pack-builder.ts) and gives it back once the pack is written. A fresh 16 MiB buffer per
 * pack costs page faults and, as external memory, extra full garbage collections (measured
 * in bench/ingest-ab.ts; docs/ARCHITECTURE.md "Ingest pipeline").
 */

/** Capacities are rounded up to this many bytes, so packs of similar size share buffers. */
const GRANULE = 1 << 20;

/** A small free list of pack buffers of any capacity. */
export class PackBufferPool {
  private readonly free: Uint8Array[] = [];

  /** @param keep most free buffers kept (the rest are left to the garbage collector). */
  constructor(private readonly keep: number) {}

  /** A buffer of at least `bytes` bytes (old contents, or zeros when new). */
  take(bytes: number): Uint8Array {
    const at = this.free.findIndex((b) => b.length >= bytes);
    if (at >= 0) return this.free.splice(at, 1)[0]!;
    return new Uint8Array(Math.ceil(Math.max(1, bytes) / GRANULE) * GRANULE);
  }

  /** Returns a buffer from {@link take}; nothing may read or write it any more. */
  give(buffer: Uint8Array): void {
    if (this.free.includes(buffer)) return;
    this.free.push(buffer);
    // Keep the largest ones: they serve every pack.
    if (this.free.length > this.keep) this.free.sort((a, b) => b.length - a.length).length = this.keep;
  }
}
