/**
 * The bulk read path (getMany / getBatches over chunk-stream.ts): the same bytes as `get`
 * in the same order, on worker threads and inline, however the work is cut; damage found
 * by a worker still names pack and offset; a missing id fails where the consumer reaches
 * it; streams abandoned half way or run side by side leave the pool usable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChunkStore } from '../../src/cas/chunk-store.js';
import { initLocalStore, openLocalStore } from '../../src/cas/local-store.js';
import { packKey, payloadOffset } from '../../src/cas/pack-format.js';
import { readPayloads } from '../../src/cas/payload-batch.js';
import { VerifyPool, verifyBatchInline } from '../../src/cas/verify-pool.js';
import { CorruptChunkError, NotFoundError } from '../../src/errors/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { compressibleBytes, pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-stream-');
/** Every batch goes to a worker, however small. */
const workers = new VerifyPool({ workers: 2, inlineBelowBytes: 0 });
/** Never starts workers: every batch is verified in the test's thread. */
const inline = new VerifyPool({ inlineBelowBytes: Number.POSITIVE_INFINITY });
afterAll(async () => {
  await workers.close();
  await inline.close();
});

interface Fixture {
  dir: string;
  ids: ContentId[];
  data: Map<ContentId, Buffer>;
}

/** A closed local store of 120 chunks (raw and zstd, 1-20 KB) over several 64 KiB packs. */
async function makeStore(): Promise<Fixture> {
  const dir = tempDir();
  const store = await initLocalStore(dir, { packTargetBytes: 64 << 10, durable: false });
  const writer = store.createWriter();
  const ids: ContentId[] = [];
  const data = new Map<ContentId, Buffer>();
  for (let i = 0; i < 120; i++) {
    const bytes = i % 3 === 0 ? pseudoRandomBytes(`r${i}`, 1000 + 157 * i) : compressibleBytes(`c${i}`, 2000 + 131 * i);
    const id = (await writer.put(bytes)).id;
    ids.push(id);
    data.set(id, bytes);
  }
  await writer.close();
  await store.close();
  return { dir, ids, data };
}

async function readAll(store: ChunkStore, ids: readonly ContentId[], options: Parameters<ChunkStore['getMany']>[1]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const bytes of store.getMany(ids, options)) out.push(Buffer.from(bytes));
  return out;
}

/** Flips a byte in the middle of a chunk's stored payload; returns its location. */
function corrupt(dir: string, store: ChunkStore, id: ContentId) {
  const loc = store.locate(id)!;
  const file = path.join(dir, ...packKey(loc.pack).split('/'));
  const bytes = fs.readFileSync(file);
  bytes[payloadOffset(loc) + (loc.storedLength >> 1)]! ^= 0x40;
  fs.writeFileSync(file, bytes);
  return loc;
}

describe('bulk reads', () => {
  it('give the same bytes in the same order on workers and inline, however the work is cut', async () => {
    const f = await makeStore();
    const store = await openLocalStore(f.dir);
    // Out of pack order, with repeats: the coalesced reads must map back to the caller's order.
    const ids = [...f.ids].reverse().concat(f.ids.filter((_, i) => i % 7 === 0));
    const want = ids.map((id) => f.data.get(id)!);
    expect(workers.ready || (await workers.start())).toBe(true);
    for (const pool of [workers, inline]) {
      for (const batchBytes of [1, 4096, 1 << 20]) {
        const got = await readAll(store, ids, { pool, batchBytes, aheadBytes: 3 * batchBytes });
        expect(got.length).toBe(want.length);
        got.forEach((b, i) => expect(b.equals(want[i]!), `chunk ${i} (batch ${batchBytes})`).toBe(true));
      }
    }
    await store.close();
  });

  it('yields arrays from getBatches for lazily produced groups', async () => {
    const f = await makeStore();
    const store = await openLocalStore(f.dir);
    async function* groups(): AsyncGenerator<readonly ContentId[]> {
      for (let i = 0; i < f.ids.length; i += 7) yield f.ids.slice(i, i + 7);
    }
    const got: Buffer[] = [];
    for await (const batch of store.getBatches(groups(), { pool: workers, batchBytes: 8192 })) for (const b of batch) got.push(Buffer.from(b));
    expect(got.map((b) => hashContent(b))).toEqual(f.ids);
    await store.close();
  });

  for (const [name, pool] of [
    ['on a worker', workers],
    ['inline', inline],
  ] as const) {
    it(`names pack and offset of a damaged chunk found ${name}, after yielding the chunks before it`, async () => {
      const f = await makeStore();
      const store = await openLocalStore(f.dir);
      const victim = f.ids[50]!;
      const loc = corrupt(f.dir, store, victim);
      const got: Buffer[] = [];
      const err = await (async () => {
        for await (const b of store.getMany(f.ids, { pool, batchBytes: 1 << 20 })) got.push(Buffer.from(b));
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CorruptChunkError);
      expect((err as CorruptChunkError).data).toMatchObject({ id: victim, pack: loc.pack, offset: loc.offset });
      expect(got.map((b) => hashContent(b))).toEqual(f.ids.slice(0, 50));
      await store.close();
    });
  }

  it('a worker never passes a chunk whose bytes do not hash to its id', async () => {
    const f = await makeStore();
    const store = await openLocalStore(f.dir);
    const locations = f.ids.slice(0, 20).map((id) => store.locate(id)!);
    const batch = await readPayloads(store.backend, locations);
    // Damage the bytes read (not the pack): both verifiers must refuse exactly that chunk.
    batch.runs[batch.run[7]!]![batch.at[7]! + 3]! ^= 1;
    const copy = { ...batch, runs: batch.runs.map((r) => new Uint8Array(r)) };
    for (const verified of [verifyBatchInline(copy), await workers.verify(batch)]) {
      expect(verified.chunks.map((c) => c !== undefined)).toEqual(locations.map((_, i) => i !== 7));
      verified.chunks.forEach((c, i) => c && expect(hashContent(c)).toBe(locations[i]!.id));
    }
    await store.close();
  });

  it('reports a deleted pack as damage naming it, and an unknown id where it is reached', async () => {
    const f = await makeStore();
    const store = await openLocalStore(f.dir);
    const loc = store.locate(f.ids[119]!)!;
    expect(store.locate(f.ids[0]!)!.pack).not.toBe(loc.pack);
    fs.rmSync(path.join(f.dir, ...packKey(loc.pack).split('/')));
    const err = await readAll(store, f.ids, { pool: workers }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptChunkError);
    expect((err as CorruptChunkError).message).toContain('its pack is missing');
    expect((err as CorruptChunkError).data).toMatchObject({ pack: loc.pack });

    const unknown = hashContent(Buffer.from('never stored'));
    const got: ContentId[] = [];
    const missing = await (async () => {
      for await (const b of store.getMany([f.ids[0]!, f.ids[1]!, unknown, f.ids[2]!], { pool: workers })) got.push(hashContent(b));
    })().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(got).toEqual([f.ids[0], f.ids[1]]);
    await store.close();
  });

  it('runs streams side by side and survives a consumer that stops half way', async () => {
    const f = await makeStore();
    const store = await openLocalStore(f.dir);
    const options = { pool: workers, batchBytes: 4096, aheadBytes: 1 << 20 };
    for await (const _ of store.getMany(f.ids, options)) break; // jobs in flight are dropped
    const [a, b] = await Promise.all([readAll(store, f.ids, options), readAll(store, [...f.ids].reverse(), options)]);
    expect(a.map((x) => hashContent(x))).toEqual(f.ids);
    expect(b.map((x) => hashContent(x))).toEqual([...f.ids].reverse());
    expect(workers.ready).toBe(true);
    await store.close();
  });
});
