/**
 * ChunkStore and its writer: round trips in memory and on disk, deduplication, chunk
 * sizes around the pack target, codec choice, the recorded config, errors and stats.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/cas/backend/memory-backend.js';
import { ChunkIndex } from '../../src/cas/chunk-index.js';
import { ChunkStore } from '../../src/cas/chunk-store.js';
import { MAX_CHUNK_BYTES } from '../../src/cas/chunk-writer.js';
import { initLocalStore, openLocalStore } from '../../src/cas/local-store.js';
import { Codec, packHashFromKey } from '../../src/cas/pack-format.js';
import { STORE_VERSION, parseStoreConfig } from '../../src/cas/store-config.js';
import { verifyStore } from '../../src/cas/verify-store.js';
import { DEFAULT_FILE_CHUNKER, DEFAULT_PAGE_CHUNKER, GEAR_TABLE_NAME } from '../../src/chunker/index.js';
import { BackendIoError, ClosedError, InvalidArgumentError, NotFoundError, UnsupportedVersionError } from '../../src/errors/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { compressibleBytes, pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { createMemoryStore } from '../helpers/memory-store.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-store-');
const KIB = 1024;

function chunks(prefix: string, count: number, size: (i: number) => number = () => 8 * KIB): Buffer[] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? pseudoRandomBytes(`${prefix}-${i}`, size(i)) : compressibleBytes(`${prefix}-${i}`, size(i))));
}

async function expectAllReadable(store: ChunkStore, data: readonly Uint8Array[]): Promise<void> {
  for (const d of data) {
    const id = hashContent(d);
    expect(store.has(id)).toBe(true);
    expect(Buffer.from(await store.get(id)).equals(Buffer.from(d))).toBe(true);
  }
}

describe('ChunkStore round trips', () => {
  it('puts, flushes and gets chunks in memory', async () => {
    const { store } = await createMemoryStore({ packTargetBytes: 64 * KIB });
    const data = chunks('mem', 40, (i) => 1 + i * 977);
    const writer = store.createWriter();
    for (const d of data) {
      const r = await writer.put(d);
      expect(r).toEqual({ id: hashContent(d), stored: true });
      expect(writer.has(r.id)).toBe(true);
    }
    await writer.flush();
    await expectAllReadable(store, data);
    expect(store.has(hashContent(Buffer.from('never written')))).toBe(false);
    await store.close();
  });

  it('puts and gets chunks in a local store, across a reopen', async () => {
    const dir = tempDir();
    const store = await initLocalStore(dir, { packTargetBytes: 64 * KIB });
    const data = chunks('local', 30, (i) => 100 + i * 3001);
    const writer = store.createWriter();
    for (const d of data) await writer.put(d);
    await writer.close();
    await expectAllReadable(store, data);
    await store.close();
    const reopened = await openLocalStore(dir);
    await expectAllReadable(reopened, data);
    expect(await verifyStore(reopened)).toMatchObject({ ok: true, chunksChecked: 30, damaged: [], packProblems: [], unindexedPacks: [] });
    await reopened.close();
  });

  it('records the kind of a chunk', async () => {
    const { store } = await createMemoryStore();
    const writer = store.createWriter();
    const a = await writer.put(Buffer.from('a tree object'), 2);
    await writer.flush();
    expect(store.locate(a.id)?.kind).toBe(2);
    await expect(writer.put(Buffer.from('x'), 256)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(writer.put(Buffer.from('x'), -1)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses puts after close with ClosedError', async () => {
    const { store } = await createMemoryStore();
    const writer = store.createWriter();
    await writer.close();
    await expect(writer.put(Buffer.from('late'))).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('deduplication', () => {
  it('never writes an existing id again', async () => {
    const { store, backend } = await createMemoryStore({ packTargetBytes: 64 * KIB });
    const data = chunks('dedup', 10);
    const first = store.createWriter();
    for (const d of data) await first.put(d);
    await first.put(data[0]!);
    expect(first.stats).toMatchObject({ chunksStored: 10, chunksDeduplicated: 1 });
    await first.flush();
    const packsAfterFirst = backend.calls.put;
    expect(packsAfterFirst).toBeGreaterThan(0);
    expect(backend.putKeys.every((k) => packHashFromKey(k) !== undefined)).toBe(true);

    const second = store.createWriter();
    for (const d of data) expect(await second.put(d)).toEqual({ id: hashContent(d), stored: false });
    await second.flush();
    expect(backend.calls.put).toBe(packsAfterFirst);
    expect(second.stats).toMatchObject({ chunksStored: 0, chunksDeduplicated: 10, packsWritten: 0, bytesDeduplicated: 10 * 8 * KIB });
    expect(store.stats().chunks).toBe(10);
  });

  it('stores a new chunk next to old ones without rewriting them', async () => {
    const { store, backend } = await createMemoryStore();
    const w = store.createWriter();
    await w.put(Buffer.from('old'));
    await w.flush();
    const fresh = Buffer.from('new');
    await w.put(Buffer.from('old'));
    await w.put(fresh);
    await w.flush();
    expect(backend.calls.put).toBe(2);
    expect(store.stats()).toMatchObject({ chunks: 2, packs: 2 });
    expect(Buffer.from(await store.get(hashContent(fresh))).toString()).toBe('new');
  });

  it('an empty flush writes no pack', async () => {
    const { store, backend } = await createMemoryStore();
    await store.createWriter().flush();
    expect(backend.calls.put).toBe(0);
  });
});

describe('pack sizing', () => {
  it('stores chunks bigger than the pack target, one pack each', async () => {
    const { store, backend } = await createMemoryStore({ packTargetBytes: 64 * KIB });
    const big = [pseudoRandomBytes('big-0', 1 << 20), pseudoRandomBytes('big-1', 300 * KIB), pseudoRandomBytes('big-2', 64 * KIB)];
    const w = store.createWriter();
    for (const d of big) await w.put(d);
    await w.flush();
    expect(backend.calls.put).toBe(3);
    expect(store.stats().packs).toBe(3);
    await expectAllReadable(store, big);
  });

  it('fills packs up to the target and seals the rest on flush', async () => {
    const { store } = await createMemoryStore({ packTargetBytes: 64 * KIB });
    const data = Array.from({ length: 40 }, (_, i) => pseudoRandomBytes(`fill-${i}`, 10 * KIB));
    const w = store.createWriter();
    for (const d of data) await w.put(d);
    await w.flush();
    // 7 chunks of 10 KiB reach 64 KiB: 40 chunks make 5 full packs and one of 5.
    expect(store.stats().packs).toBe(6);
    await expectAllReadable(store, data);
  });

  it('accepts a chunk of exactly 16 MiB and refuses a larger one', async () => {
    const { store } = await createMemoryStore();
    const w = store.createWriter();
    const max = Buffer.alloc(MAX_CHUNK_BYTES, 7);
    await w.put(max);
    await expect(w.put(Buffer.alloc(MAX_CHUNK_BYTES + 1))).rejects.toBeInstanceOf(InvalidArgumentError);
    await w.flush();
    expect((await store.get(hashContent(max))).length).toBe(MAX_CHUNK_BYTES);
  });
});

describe('compression', () => {
  it('stores compressible chunks as zstd and incompressible or tiny ones raw', async () => {
    const { store } = await createMemoryStore();
    const text = compressibleBytes('text', 64 * KIB);
    const random = pseudoRandomBytes('random', 64 * KIB);
    const tiny = Buffer.from('tiny chunk');
    const w = store.createWriter();
    for (const d of [text, random, tiny]) await w.put(d);
    await w.flush();
    const t = store.locate(hashContent(text))!;
    expect(t.codec).toBe(Codec.Zstd);
    expect(t.storedLength).toBeLessThan(t.rawLength / 10);
    expect(store.locate(hashContent(random))).toMatchObject({ codec: Codec.Raw, storedLength: 64 * KIB, rawLength: 64 * KIB });
    expect(store.locate(hashContent(tiny))).toMatchObject({ codec: Codec.Raw, storedLength: tiny.length });
    await expectAllReadable(store, [text, random, tiny]);
  });
});

describe('config', () => {
  it('records version, hash, chunker names and compression, on disk and after reopen', async () => {
    const dir = tempDir();
    const store = await initLocalStore(dir, { compressionLevel: 9, packTargetBytes: 1 << 20 });
    const expected = {
      format: 'memsnap-store',
      version: STORE_VERSION,
      hash: 'blake3-256',
      chunkers: { file: DEFAULT_FILE_CHUNKER, sqlite: DEFAULT_PAGE_CHUNKER, gear: GEAR_TABLE_NAME },
      compression: { codec: 'zstd', level: 9 },
      packTargetBytes: 1 << 20,
    };
    expect(store.config).toMatchObject(expected);
    expect(STORE_VERSION).toBe(1);
    expect(DEFAULT_FILE_CHUNKER).toBe('fastcdc-v1-8k');
    expect(DEFAULT_PAGE_CHUNKER).toBe('pages-v1-4k');
    const onDisk = parseStoreConfig(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(onDisk).toEqual(store.config);
    await store.close();
    const reopened = await openLocalStore(dir);
    expect(reopened.config).toEqual(onDisk);
    expect(reopened.config.storeId).toMatch(/^[0-9a-f-]{36}$/);
    await reopened.close();
  });

  it('defaults to zstd level 3 and 16 MiB packs', async () => {
    const { store } = await createMemoryStore();
    expect(store.config.compression).toEqual({ codec: 'zstd', level: 3 });
    expect(store.config.packTargetBytes).toBe(16 << 20);
  });

  it('refuses unknown chunker names and bad sizes at create', async () => {
    const create = (options: object) => ChunkStore.create(new MemoryBackend(), new ChunkIndex(':memory:'), options);
    await expect(create({ fileChunker: 'fastcdc-v9' })).rejects.toBeInstanceOf(UnsupportedVersionError);
    await expect(create({ compressionLevel: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(create({ packTargetBytes: 1000 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('errors and stats', () => {
  it('get of an unknown id throws NotFoundError naming the chunk', async () => {
    const { store } = await createMemoryStore();
    const id = hashContent(Buffer.from('absent')) as ContentId;
    const err = await store.get(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).data).toMatchObject({ what: 'chunk', name: id });
    expect(store.locate(id)).toBeUndefined();
  });

  it('a failed pack write surfaces as BackendIoError on flush and indexes nothing', async () => {
    const { store, backend } = await createMemoryStore();
    backend.failNth('put', 1);
    const w = store.createWriter();
    const r = await w.put(Buffer.from('doomed'));
    await expect(w.flush()).rejects.toBeInstanceOf(BackendIoError);
    expect(store.has(r.id)).toBe(false);
    expect(store.stats()).toMatchObject({ chunks: 0, packs: 0 });
  });

  it('stats count chunks, packs and bytes', async () => {
    const { store } = await createMemoryStore({ packTargetBytes: 64 * KIB });
    expect(store.stats()).toEqual({ chunks: 0, packs: 0, rawBytes: 0, storedBytes: 0, packBytes: 0 });
    const data = chunks('stats', 20, (i) => 4 * KIB + i);
    const w = store.createWriter();
    for (const d of data) await w.put(d);
    await w.flush();
    const stats = store.stats();
    let packBytes = 0;
    let packs = 0;
    for await (const o of store.backend.list('packs/')) {
      packBytes += o.size;
      packs++;
    }
    const storedBytes = data.reduce((n, d) => n + store.locate(hashContent(d))!.storedLength, 0);
    expect(stats).toEqual({ chunks: 20, packs, rawBytes: data.reduce((n, d) => n + d.length, 0), storedBytes, packBytes });
    expect(stats.storedBytes).toBeLessThan(stats.rawBytes);
    expect(stats.packBytes).toBeGreaterThan(stats.storedBytes);
  });
});

describe('writer input buffers', () => {
  // Regression: `Buffer#slice` does not copy, so a raw-stored chunk once shared memory with
  // the caller's buffer until its pack was sealed, and reusing the buffer corrupted it.
  it('copies the caller\'s Buffer: reusing it after put does not change the stored chunk', async () => {
    const { store } = await createMemoryStore();
    const w = store.createWriter();
    const buffer = pseudoRandomBytes('reused', 4 * KIB);
    const original = Buffer.from(buffer);
    const { id } = await w.put(buffer);
    buffer.fill(0);
    await w.flush();
    expect(Buffer.from(await store.get(id)).equals(original)).toBe(true);
  });

  it('copies a plain Uint8Array', async () => {
    const { store } = await createMemoryStore();
    const w = store.createWriter();
    const bytes = new Uint8Array(pseudoRandomBytes('reused-u8', 4 * KIB));
    const original = bytes.slice();
    const { id } = await w.put(bytes);
    bytes.fill(0);
    await w.flush();
    expect(Buffer.from(await store.get(id)).equals(Buffer.from(original))).toBe(true);
  });
});
