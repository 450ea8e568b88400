import { describe, expect, it } from 'vitest';
import { SharedBufferPool } from '../../src/cas/shared-buffer-pool.js';

describe('shared buffer pool', () => {
  it('hands out shared buffers of its size and reuses the ones given back', () => {
    const pool = new SharedBufferPool(4096, 2);
    const a = pool.take();
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.length).toBe(4096);
    pool.give(a.subarray(10, 20));
    expect(pool.take().buffer).toBe(a.buffer);
  });

  it('keeps at most `keep` buffers, once each, and ignores foreign ones', () => {
    const pool = new SharedBufferPool(1024, 2);
    const [a, b, c] = [pool.take(), pool.take(), pool.take()];
    pool.give(a);
    pool.give(a);
    pool.give(new Uint8Array(1024));
    pool.give(new Uint8Array(new SharedArrayBuffer(2048)));
    pool.give(b);
    pool.give(c);
    const again = [pool.take(), pool.take(), pool.take()].map((v) => v.buffer);
    expect(again.filter((x) => x === a.buffer || x === b.buffer)).toHaveLength(2);
    expect(again).not.toContain(c.buffer);
  });
});
