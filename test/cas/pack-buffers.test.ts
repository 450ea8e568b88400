import { describe, expect, it } from 'vitest';
import { PackBufferPool } from '../../src/cas/pack-buffers.js';

describe('pack buffer pool', () => {
  it('hands out buffers of at least the size asked (whole MiBs) and reuses the ones given back', () => {
    const pool = new PackBufferPool(2);
    const a = pool.take(3 << 20);
    expect(a.length).toBe(3 << 20);
    expect(pool.take(1).length).toBe(1 << 20);
    pool.give(a);
    pool.give(a);
    expect(pool.take(2 << 20)).toBe(a);
    expect(pool.take(2 << 20)).not.toBe(a);
  });

  it('keeps the largest `keep` buffers', () => {
    const pool = new PackBufferPool(2);
    const [small, mid, big] = [pool.take(1 << 20), pool.take(2 << 20), pool.take(5 << 20)];
    pool.give(small);
    pool.give(big);
    pool.give(mid);
    expect(pool.take(4 << 20)).toBe(big);
    expect(pool.take(1)).toBe(mid);
    expect(pool.take(1)).not.toBe(small);
  });
});
