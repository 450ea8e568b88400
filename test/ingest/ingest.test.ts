import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ChunkIndex, ChunkStore, MemoryBackend } from '../../src/cas/index.js';
import { fileChunker } from '../../src/chunker/index.js';
import { chunkAndHash, HashPool, ingestBuffer, ingestFile } from '../../src/ingest/index.js';

const pool = new HashPool(2);
afterAll(() => pool.close());
const chunker = fileChunker('fastcdc-v1-16k');

async function memoryStore(): Promise<ChunkStore> {
  return ChunkStore.create(new MemoryBackend(), new ChunkIndex(':memory:'));
}

describe('ingest', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('stores a buffer, returns its chunk list, and deduplicates a second ingest', async () => {
    const store = await memoryStore();
    const data = randomBytes(5_000_000);
    const writer = store.createWriter();
    const first = await ingestBuffer(writer, data, chunker, { pool, minParallelBytes: 0, segmentBytes: 1 << 20 });
    await writer.flush();
    expect({ lengths: first.lengths, ids: first.ids }).toEqual(chunkAndHash(data, chunker));
    expect(first.bytesStored).toBe(data.length);
    const again = await ingestBuffer(writer, data, chunker, { pool, minParallelBytes: 0 });
    expect(again.ids).toEqual(first.ids);
    expect(again.chunksStored).toBe(0);
    const back = Buffer.concat(await Promise.all(first.ids.map((id) => store.get(id))));
    expect(back.equals(data)).toBe(true);
    await store.close();
  });

  it('ingests a file in windows with the same chunks as the whole buffer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memsnap-ingest-'));
    dirs.push(dir);
    const store = await memoryStore();
    for (const size of [0, 1, 70_000, 3_333_333]) {
      const data = randomBytes(size);
      const file = join(dir, `f${size}`);
      writeFileSync(file, data);
      const writer = store.createWriter();
      const got = await ingestFile(writer, file, chunker, { pool, minParallelBytes: 0, wholeFileBytes: 1 << 20, windowBytes: 1 << 20, segmentBytes: 256 << 10 });
      await writer.flush();
      expect(got.bytes).toBe(size);
      expect({ lengths: got.lengths, ids: got.ids }).toEqual(chunkAndHash(data, chunker));
    }
    await store.close();
  });
});
