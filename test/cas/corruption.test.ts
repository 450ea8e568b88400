/**
 * Damage on disk is found, named precisely and repaired where possible: flipped payload
 * bytes, truncated and deleted packs, a damaged or missing index.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChunkLocation } from '../../src/cas/chunk-index.js';
import type { ChunkStore } from '../../src/cas/chunk-store.js';
import { INDEX_FILE, initLocalStore, openLocalStore, repairLocalIndex } from '../../src/cas/local-store.js';
import { Codec, ENTRY_HEADER_BYTES, packKey, payloadOffset } from '../../src/cas/pack-format.js';
import { readPack } from '../../src/cas/pack-reader.js';
import { verifyStore } from '../../src/cas/verify-store.js';
import { CorruptChunkError, IndexDamagedError, NotFoundError, TruncatedPackError } from '../../src/errors/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { compressibleBytes, pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { openFilesUnder } from '../helpers/open-files.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-corrupt-');

interface Fixture {
  dir: string;
  data: Map<ContentId, Buffer>;
  locations: Map<ContentId, ChunkLocation>;
}

/** A closed local store of 36 chunks (raw and zstd) spread over several 64 KiB packs. */
async function makeStore(): Promise<Fixture> {
  const dir = tempDir();
  const store = await initLocalStore(dir, { packTargetBytes: 64 << 10 });
  const writer = store.createWriter();
  const data = new Map<ContentId, Buffer>();
  for (let i = 0; i < 36; i++) {
    const bytes = i % 3 === 0 ? compressibleBytes(`c${i}`, 20_000 + i) : pseudoRandomBytes(`r${i}`, 9000 + 37 * i);
    data.set((await writer.put(bytes)).id, bytes);
  }
  await writer.close();
  const locations = new Map([...data.keys()].map((id) => [id, store.locate(id)!]));
  expect(new Set([...locations.values()].map((l) => l.pack)).size).toBeGreaterThanOrEqual(3);
  await store.close();
  return { dir, data, locations };
}

function packFile(dir: string, pack: string): string {
  return path.join(dir, ...packKey(pack).split('/'));
}

function chunksOf(f: Fixture, pack: string): ChunkLocation[] {
  return [...f.locations.values()].filter((l) => l.pack === pack).sort((a, b) => a.offset - b.offset);
}

async function readAll(store: ChunkStore, f: Fixture, skip: ReadonlySet<ContentId> = new Set()): Promise<void> {
  for (const [id, bytes] of f.data) {
    if (skip.has(id)) continue;
    expect(Buffer.from(await store.get(id)).equals(bytes), `chunk ${id}`).toBe(true);
  }
}

function allLocations(store: ChunkStore, f: Fixture): Map<ContentId, ChunkLocation | undefined> {
  return new Map([...f.data.keys()].map((id) => [id, store.locate(id)]));
}

describe('damaged packs', () => {
  for (const codec of [Codec.Raw, Codec.Zstd]) {
    it(`a flipped byte in a ${codec === Codec.Raw ? 'raw' : 'zstd'} payload: get names pack and offset, verify reports only that chunk`, async () => {
      const f = await makeStore();
      const victim = [...f.locations.values()].find((l) => l.codec === codec && l.offset > 16)!;
      const file = packFile(f.dir, victim.pack);
      const bytes = fs.readFileSync(file);
      bytes[payloadOffset(victim) + Math.floor(victim.storedLength / 2)]! ^= 0x40;
      fs.writeFileSync(file, bytes);

      const store = await openLocalStore(f.dir);
      const err = await store.get(victim.id).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptChunkError);
      const e = err as CorruptChunkError;
      expect(e.code).toBe('CORRUPT_CHUNK');
      expect(e.data).toMatchObject({ id: victim.id, pack: victim.pack, offset: victim.offset });
      expect(e.message).toContain(victim.pack);
      expect(e.message).toContain(`offset ${victim.offset}`);
      await readAll(store, f, new Set([victim.id]));

      const report = await verifyStore(store);
      expect(report.ok).toBe(false);
      expect(report.damaged.map((d) => [d.id, d.pack, d.offset])).toEqual([[victim.id, victim.pack, victim.offset]]);
      expect(report.packProblems).toEqual([{ pack: victim.pack, reason: 'pack bytes do not match its name' }]);
      expect(report.chunksChecked).toBe(36);
      await store.close();
    });
  }

  it('a truncated pack: verify names the truncation and exactly the chunks cut off', async () => {
    const f = await makeStore();
    const pack = [...f.locations.values()][0]!.pack;
    const inPack = chunksOf(f, pack);
    expect(inPack.length).toBeGreaterThanOrEqual(3);
    const cutEntry = inPack[Math.floor(inPack.length / 2)]!;
    const cutAt = payloadOffset(cutEntry) + 10;
    fs.truncateSync(packFile(f.dir, pack), cutAt);
    const lost = inPack.filter((l) => l.offset >= cutEntry.offset).map((l) => l.id);

    const store = await openLocalStore(f.dir);
    const { readout } = await readPack(store.backend, pack);
    expect(readout.structureError).toBeInstanceOf(TruncatedPackError);
    const report = await verifyStore(store);
    expect(report.ok).toBe(false);
    expect(report.packProblems).toHaveLength(1);
    expect(report.packProblems[0]!.pack).toBe(pack);
    expect(report.packProblems[0]!.reason).toBe(readout.structureError!.message);
    expect(report.packProblems[0]!.reason).toMatch(/truncated at \d+ bytes/);
    expect(report.damaged.map((d) => d.id).sort()).toEqual([...lost].sort());
    for (const id of lost) await expect(store.get(id)).rejects.toBeInstanceOf(CorruptChunkError);
    await readAll(store, f, new Set(lost));
    await store.close();

    // Rebuilding from the packs keeps the chunks before the cut and drops the rest.
    const rebuilt = await repairLocalIndex(f.dir);
    expect(rebuilt.packProblems.map((p) => p.pack)).toEqual([pack]);
    const after = await openLocalStore(f.dir);
    for (const id of lost) expect(after.has(id)).toBe(false);
    await readAll(after, f, new Set(lost));
    await after.close();
  });

  it('a deleted pack: verify reports the pack missing and every chunk in it', async () => {
    const f = await makeStore();
    const pack = [...f.locations.values()].at(-1)!.pack;
    const lost = chunksOf(f, pack);
    fs.rmSync(packFile(f.dir, pack));
    const store = await openLocalStore(f.dir);
    const report = await verifyStore(store);
    expect(report.packProblems).toEqual([{ pack, reason: 'pack is missing' }]);
    expect(report.damaged.map((d) => [d.id, d.offset]).sort()).toEqual(lost.map((l) => [l.id, l.offset]).sort());
    const err = await store.get(lost[0]!.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptChunkError);
    expect((err as CorruptChunkError).cause).toBeInstanceOf(NotFoundError);
    await readAll(store, f, new Set(lost.map((l) => l.id)));
    await store.close();
  });

  it('an intact store verifies clean and counts every byte', async () => {
    const f = await makeStore();
    const store = await openLocalStore(f.dir);
    const progress: number[] = [];
    const report = await verifyStore(store, { onProgress: (p) => progress.push(p.done) });
    const packBytes = store.stats().packBytes;
    expect(report).toMatchObject({ ok: true, chunksChecked: 36, bytesChecked: packBytes, damaged: [], packProblems: [], unindexedPacks: [] });
    expect(progress).toEqual(Array.from({ length: report.packsChecked }, (_, i) => i + 1));
    await store.close();
  });
});

describe('damaged or missing index', () => {
  it('garbage over the index header: open throws IndexDamagedError telling how to repair; repair rebuilds every chunk', async () => {
    const f = await makeStore();
    const indexFile = path.join(f.dir, INDEX_FILE);
    const fd = fs.openSync(indexFile, 'r+');
    fs.writeSync(fd, Buffer.alloc(100, 0xa5), 0, 100, 0);
    fs.closeSync(fd);

    const err = await openLocalStore(f.dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexDamagedError);
    expect((err as IndexDamagedError).code).toBe('INDEX_DAMAGED');
    expect((err as Error).message).toContain('memsnap repair --rebuild-index');
    expect((err as IndexDamagedError).data).toMatchObject({ path: indexFile });
    const open = openFilesUnder(f.dir);
    if (open !== undefined) expect(open, 'a failed open must release the index file').toEqual([]);

    const report = await repairLocalIndex(f.dir);
    expect(report).toMatchObject({ chunks: 36, droppedChunks: 0, packProblems: [] });
    expect(report.movedAside).toMatch(/index\.sqlite\.damaged-\d+$/);
    expect(fs.existsSync(report.movedAside!)).toBe(true);

    const store = await openLocalStore(f.dir);
    await readAll(store, f);
    expect(allLocations(store, f)).toEqual(f.locations);
    expect((await verifyStore(store)).ok).toBe(true);
    await store.close();
  });

  it('a deleted index opens empty and repairLocalIndex rebuilds it', async () => {
    const f = await makeStore();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(f.dir, INDEX_FILE + suffix), { force: true });
    const empty = await openLocalStore(f.dir);
    const first = [...f.data.keys()][0]!;
    await expect(empty.get(first)).rejects.toBeInstanceOf(NotFoundError);
    expect((await verifyStore(empty)).unindexedPacks.length).toBe(new Set([...f.locations.values()].map((l) => l.pack)).size);
    await empty.close();

    const report = await repairLocalIndex(f.dir);
    expect(report.chunks).toBe(36);
    expect(report.movedAside).toBeUndefined();
    const store = await openLocalStore(f.dir);
    await readAll(store, f);
    expect((await verifyStore(store)).ok).toBe(true);
    await store.close();
  });

  it('a rebuild from packs gives the same chunk locations and pack sizes as before', async () => {
    const f = await makeStore();
    const before = await openLocalStore(f.dir);
    const packsBefore = before.index.packs().map((p) => ({ name: p.name, size: p.size, entryCount: p.entryCount }));
    const statsBefore = before.stats();
    await before.close();
    const report = await repairLocalIndex(f.dir, { verifyPayloads: true });
    expect(report).toMatchObject({ packs: packsBefore.length, chunks: 36, droppedChunks: 0 });
    const after = await openLocalStore(f.dir);
    expect(allLocations(after, f)).toEqual(f.locations);
    expect(after.index.packs().sort((a, b) => a.name.localeCompare(b.name))).toEqual(packsBefore.sort((a, b) => a.name.localeCompare(b.name)));
    expect(after.stats()).toEqual(statsBefore);
    await after.close();
  });

  it('a rebuild drops a corrupted chunk of a misnamed pack and keeps its neighbours', async () => {
    const f = await makeStore();
    const victim = [...f.locations.values()].find((l) => l.codec === Codec.Raw)!;
    const file = packFile(f.dir, victim.pack);
    const bytes = fs.readFileSync(file);
    bytes[victim.offset + ENTRY_HEADER_BYTES]! ^= 1;
    fs.writeFileSync(file, bytes);
    const report = await repairLocalIndex(f.dir);
    expect(report.droppedChunks).toBe(1);
    const store = await openLocalStore(f.dir);
    expect(store.has(victim.id)).toBe(false);
    await readAll(store, f, new Set([victim.id]));
    expect(hashContent(f.data.get(victim.id)!)).toBe(victim.id);
    await store.close();
  });
});
