/**
 * `prefetchPresence` answers for absent ids too: new chunks of the batch it looked up are
 * stored without one index lookup each, and the batch after it is looked up afresh.
 */
import { describe, expect, it, vi } from 'vitest';
import { hashContent } from '../../src/hash/index.js';
import { createMemoryStore } from '../helpers/memory-store.js';

describe('prefetchPresence on new chunks', () => {
  it('spares put the per-chunk lookup of ids it found absent, for the latest batch only', async () => {
    const { store } = await createMemoryStore();
    const batch = (tag: string): Buffer[] => Array.from({ length: 20 }, (_, i) => Buffer.from(`${tag} ${i} `.repeat(30)));
    const [a, b] = [batch('a'), batch('b')];
    const has = vi.spyOn(store.index, 'has');
    const writer = store.createWriter();
    writer.prefetchPresence(a.map((d) => hashContent(d)));
    for (const d of a) expect((await writer.put(d)).stored).toBe(true);
    expect(has).not.toHaveBeenCalled();
    writer.prefetchPresence(b.map((d) => hashContent(d)));
    // An id outside the latest prefetched batch is looked up as before.
    const other = Buffer.from('not prefetched');
    await writer.put(other);
    expect(has).toHaveBeenCalledTimes(1);
    await writer.close();
    expect(a.every((d) => store.index.has(hashContent(d)))).toBe(true);
  });
});
