/**
 * Writer leases: a writer holds one from creation to release, stamped with the epoch, and
 * its pins go with it;
 * leases of dead processes are pruned; confirming after a condemnation rescues condemned
 * chunks and refuses (ConflictError) when one is gone; the lease commits skip the fsync but
 * leave the connection at synchronous=FULL.
 */
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { acquireLease, advanceEpoch, confirmLease, isLeaseLive, leases, pruneDeadLeases } from '../../src/cas/index.js';
import { ConflictError } from '../../src/errors/index.js';
import { contentIdToBytes, hashContent } from '../../src/hash/index.js';
import { createMemoryStore } from '../helpers/memory-store.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { Repository } from '../../src/snapshot/index.js';
import * as path from 'node:path';

describe('writer leases', () => {
  it('a writer holds a lease from creation until release, at the current epoch', async () => {
    const { store } = await createMemoryStore();
    const db = store.index.database;
    advanceEpoch(db);
    const w = store.createWriter();
    expect(leases(db)).toMatchObject([{ pid: process.pid, host: os.hostname(), epoch: 1 }]);
    w.release();
    w.release(); // idempotent
    expect(leases(db)).toEqual([]);
    const closed = store.createWriter();
    await closed.close();
    expect(leases(db)).toEqual([]);
  });

  it('pins live as long as the writer: released with it, pruned with a dead lease', async () => {
    const { store } = await createMemoryStore();
    const db = store.index.database;
    const count = () => db.prepare(`SELECT count(*) FROM pins`).pluck().get();
    const w = store.createWriter();
    w.pin([hashContent(Buffer.from('a')), hashContent(Buffer.from('b')), hashContent(Buffer.from('a'))]);
    expect(count()).toBe(2);
    w.release();
    expect(count()).toBe(0);
    const other = store.createWriter();
    other.pin([hashContent(Buffer.from('c'))]);
    db.prepare(`UPDATE writers SET pid = 2147483646`).run(); // its process is gone
    expect(pruneDeadLeases(db)).toBe(1);
    expect(count()).toBe(0);
  });

  it('prunes leases of processes that are gone, keeps live and foreign ones', async () => {
    const { store } = await createMemoryStore();
    const db = store.index.database;
    const insert = db.prepare(`INSERT INTO writers (writer_id, host, pid, started_ms, epoch) VALUES (?, ?, ?, ?, 0)`);
    insert.run('dead', os.hostname(), 2147483646, Date.now());
    insert.run('foreign-recent', 'elsewhere', 1, Date.now());
    insert.run('foreign-old', 'elsewhere', 1, Date.now() - 25 * 3600_000);
    const mine = acquireLease(db);
    expect(pruneDeadLeases(db)).toBe(2);
    expect(leases(db).map((l) => l.writerId).sort()).toEqual(['foreign-recent', mine.writerId].sort());
    expect(leases(db).every((l) => isLeaseLive(l))).toBe(true);
  });

  it('confirm rescues condemned chunks and refuses when one is gone', async () => {
    const { store } = await createMemoryStore();
    const db = store.index.database;
    const w = store.createWriter();
    const a = Buffer.from('chunk a'.repeat(100));
    const b = Buffer.from('chunk b'.repeat(100));
    await w.put(a);
    await w.put(b);
    await w.flush();
    expect(w.confirmReferences()).toBe(0); // no condemnation: nothing to do
    // A collection condemns both (moves their rows aside) under a new epoch.
    db.transaction(() => {
      const epoch = advanceEpoch(db);
      db.prepare(`INSERT INTO condemned_chunks SELECT id, pack_id, offset, raw_length, stored_length, kind, codec, ? FROM chunks`).run(epoch);
      db.prepare(`DELETE FROM chunks`).run();
    })();
    expect(store.has(hashContent(a))).toBe(false);
    expect(db.transaction(() => w.confirmReferences())()).toBe(2);
    expect(Buffer.from(await store.get(hashContent(a))).equals(a)).toBe(true);

    // Now one is swept for good: the confirmation must fail, naming the chunk.
    db.transaction(() => {
      advanceEpoch(db);
      db.prepare(`DELETE FROM chunks WHERE id = ?`).run(contentIdToBytes(hashContent(b)));
    })();
    expect(() => w.confirmReferences()).toThrow(ConflictError);
    expect(() => w.confirmReferences()).toThrow(new RegExp(hashContent(b).slice(0, 12)));
    w.release();
  });

  it('skips the fsync for lease commits but leaves the connection at synchronous=FULL', async () => {
    const repo = await Repository.init(path.join(makeTempDir(), 'store'));
    const db = repo.chunks.index.database;
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    repo.chunks.createWriter().release();
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(confirmLease(db, { writerId: 'x', epoch: 0 }, new Uint8Array(0))).toBe(0);
    await repo.close();
  });
});
