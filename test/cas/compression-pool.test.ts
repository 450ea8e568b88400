import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ChunkIndex, ChunkStore, ChunkWriter, CompressionPool, decodePayload, encodeBatchInline, MemoryBackend, PayloadEncoder } from '../../src/cas/index.js';

const pool = new CompressionPool({ workers: 2, inlineBelowBytes: 0 });
afterAll(() => pool.close());

function batch(): { raw: Uint8Array; lengths: number[] } {
  const parts = [Buffer.from('agent memory note '.repeat(2000)), randomBytes(20_000), Buffer.from('x'), Buffer.alloc(0), Buffer.from('{"k":1}'.repeat(500))];
  return { raw: Buffer.concat(parts), lengths: parts.map((p) => p.length) };
}

describe('compression pool', () => {
  it('encodes on workers exactly as PayloadEncoder does, and round-trips', async () => {
    expect(await pool.start()).toBe(true);
    const { raw, lengths } = batch();
    const got = await pool.compress(raw, lengths, 3);
    const want = encodeBatchInline(new PayloadEncoder(3), raw, lengths);
    expect(got.map((p) => [p.codec, Buffer.from(p.bytes).toString('hex')])).toEqual(want.map((p) => [p.codec, Buffer.from(p.bytes).toString('hex')]));
    let at = 0;
    got.forEach((p, i) => {
      const n = lengths[i]!;
      expect(Buffer.from(decodePayload(p.codec, p.bytes, n)).equals(Buffer.from(raw.subarray(at, at + n)))).toBe(true);
      at += n;
    });
  });

  it('reads a batch in shared memory without copying it, with the same payloads', async () => {
    expect(await pool.start()).toBe(true);
    const { raw, lengths } = batch();
    const shared = new Uint8Array(new SharedArrayBuffer(raw.length + 100)).subarray(50, 50 + raw.length);
    shared.set(raw);
    const got = await pool.compress(shared, lengths, 3);
    const want = encodeBatchInline(new PayloadEncoder(3), raw, lengths);
    expect(got.map((p) => [p.codec, Buffer.from(p.bytes).toString('hex')])).toEqual(want.map((p) => [p.codec, Buffer.from(p.bytes).toString('hex')]));
    // Payloads are copies: overwriting the batch changes none of them.
    shared.fill(0);
    expect(got.map((p) => Buffer.from(p.bytes).toString('hex'))).toEqual(want.map((p) => Buffer.from(p.bytes).toString('hex')));
  });

  it('falls back to the calling thread after close', async () => {
    const own = new CompressionPool({ workers: 1 });
    await own.start();
    await own.close();
    const { raw, lengths } = batch();
    expect((await own.compress(raw, lengths, 3)).length).toBe(lengths.length);
  });

  it('writers give identical packs with and without workers', async () => {
    const chunks = Array.from({ length: 400 }, (_, i) => (i % 2 ? randomBytes(9000 + i) : Buffer.from(`note ${i} `.repeat(1000 + i))));
    const packsOf = async (compressionPool: CompressionPool | null): Promise<string[]> => {
      const backend = new MemoryBackend();
      const store = await ChunkStore.create(backend, new ChunkIndex(':memory:'), { packTargetBytes: 256 << 10 });
      const writer = new ChunkWriter({
        backend,
        index: store.index,
        packTargetBytes: 256 << 10,
        compressionLevel: 3,
        compressionPool,
      });
      for (const c of chunks) await writer.put(c);
      await writer.flush();
      const names = store.index.packs().map((p) => p.name);
      await store.close();
      return names;
    };
    const inline = await packsOf(null);
    expect(inline.length).toBeGreaterThan(3);
    expect(await packsOf(pool)).toEqual(inline);
  });
});
