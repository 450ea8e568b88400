/**
 * `flushDeferred` + `indexDeferred`: packs are durable before the caller's transaction, their
 * index rows commit inside it (one commit, not two), and a transaction that fails never
 * strands a pack outside the index or lets the process believe its chunks are indexed.
 */
import { describe, expect, it } from 'vitest';
import { hashContent } from '../../src/hash/index.js';
import { createMemoryStore } from '../helpers/memory-store.js';

const chunks = (tag: string): Buffer[] => Array.from({ length: 30 }, (_, i) => Buffer.from(`${tag} ${i} `.repeat(40)));

describe('deferred index rows', () => {
  it('commit with the caller’s transaction', async () => {
    const { store } = await createMemoryStore();
    const data = chunks('commit');
    const writer = store.createWriter();
    for (const d of data) await writer.put(d);
    await writer.flushDeferred();
    // Durable in the backend, not yet indexed.
    let packs = 0;
    for await (const _ of store.backend.list('packs/')) packs++;
    expect(packs).toBeGreaterThan(0);
    expect(data.some((d) => store.index.has(hashContent(d)))).toBe(false);
    const db = store.index.database;
    let commits = 0;
    db.transaction(() => {
      writer.indexDeferred();
      commits++;
    }).immediate();
    expect(commits).toBe(1);
    expect(data.every((d) => store.index.has(hashContent(d)))).toBe(true);
    writer.release();
    expect(Buffer.from(await store.get(hashContent(data[0]!))).equals(data[0]!)).toBe(true);
  });

  it('are indexed on their own when the caller’s transaction fails', async () => {
    const { store } = await createMemoryStore();
    const data = chunks('rollback');
    const writer = store.createWriter();
    for (const d of data) await writer.put(d);
    await writer.flushDeferred();
    expect(() =>
      store.index.database
        .transaction(() => {
          writer.indexDeferred();
          throw new Error('conflict');
        })
        .immediate(),
    ).toThrow('conflict');
    expect(data.some((d) => store.index.has(hashContent(d)))).toBe(false);
    // A second writer of this process must not take the rolled-back chunks as indexed.
    const other = store.createWriter();
    expect(other.has(hashContent(data[0]!))).toBe(false);
    other.release();
    writer.release();
    expect(data.every((d) => store.index.has(hashContent(d)))).toBe(true);
  });
});
