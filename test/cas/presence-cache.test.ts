/**
 * The store-wide presence cache: a later writer of the same store does not look up again
 * ids an earlier one saw indexed, until a collection advances the epoch; then it asks the
 * index again (a condemned id must not be taken as present by a writer that started after
 * the condemnation).
 */
import { describe, expect, it, vi } from 'vitest';
import { PRESENCE_CACHE_MAX_IDS, PresenceCache, advanceEpoch } from '../../src/cas/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { createMemoryStore } from '../helpers/memory-store.js';

describe('presence cache', () => {
  it('spares later writers the lookups, until the epoch moves', async () => {
    const { store } = await createMemoryStore();
    const data = Array.from({ length: 50 }, (_, i) => Buffer.from(`chunk ${i} `.repeat(20)));
    const ids = data.map((d) => hashContent(d));
    const first = store.createWriter();
    for (const d of data) await first.put(d);
    await first.close();

    const spy = vi.spyOn(store.index, 'presentAmong');
    const second = store.createWriter();
    second.prefetchPresence(ids);
    expect(spy.mock.calls.flat(2)).toEqual([]); // nothing left to ask
    expect(ids.every((id) => second.has(id))).toBe(true);
    second.release();

    advanceEpoch(store.index.database);
    const third = store.createWriter();
    third.prefetchPresence(ids);
    expect(spy.mock.calls.at(-1)![0]).toEqual(ids);
    third.release();
  });

  it('forgets everything under a new epoch and stays bounded', () => {
    const cache = new PresenceCache();
    const a = hashContent(Buffer.from('a')) as ContentId;
    cache.begin(0);
    cache.add([a]);
    cache.begin(0);
    expect(cache.has(a)).toBe(true);
    cache.begin(1);
    expect(cache.has(a)).toBe(false);
    expect(PRESENCE_CACHE_MAX_IDS).toBeGreaterThan(100_000);
  });
});
