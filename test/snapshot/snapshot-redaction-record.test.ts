/**
 * The optional `redaction` member of a snapshot root: written and read back when present,
 * absent (and the id unchanged) otherwise, and refused when malformed.
 */
import { describe, expect, it } from 'vitest';
import { ChunkIndex, ChunkStore, MemoryBackend } from '../../src/cas/index.js';
import { CorruptChunkError } from '../../src/errors/index.js';
import { hashContent } from '../../src/hash/index.js';
import { encodeObject, KIND_SNAPSHOT, Repository, writeSnapshot, writeTree, type Snapshot } from '../../src/snapshot/index.js';

describe('snapshot redaction record', () => {
  it('round-trips, leaves other snapshots byte-identical, and refuses a malformed record', async () => {
    const repo = new Repository(await ChunkStore.create(new MemoryBackend(), new ChunkIndex(':memory:')));
    const writer = repo.chunks.createWriter();
    const tree = await writeTree(writer, []);
    const plain: Snapshot = { agent: 'a', parent: null, timeMs: 1, kind: 'manual', tags: [], message: '', sources: { memdir: { tree }, state: {}, fields: {} }, totals: { files: 0, dirs: 0, symlinks: 0, databases: 0, bytes: 0 } };
    const record = { original: hashContent(Buffer.from('original')), rules: hashContent(Buffer.from('rules')) };
    const plainId = await writeSnapshot(writer, plain);
    const redactedId = await writeSnapshot(writer, { ...plain, redaction: record });
    const body = { agent: 'a', parent: null, timeMs: 1, kind: 'manual', tags: [], message: '', sources: { memdir: { tree }, state: {}, fields: {} }, totals: { files: 0, dirs: 0, symlinks: 0, databases: 0, bytes: 0 } };
    const bad = await Promise.all(
      [{ original: 'x', rules: record.rules }, { original: record.original }, 'yes'].map(async (r) => (await writer.put(encodeObject('snapshot', { ...body, redaction: r }), KIND_SNAPSHOT)).id),
    );
    await writer.flush();
    // Without the member, the bytes are exactly what they were before it existed.
    expect(plainId).toBe(hashContent(encodeObject('snapshot', body)));
    expect((await repo.readSnapshot(plainId)).redaction).toBeUndefined();
    expect((await repo.readSnapshot(redactedId)).redaction).toEqual(record);
    expect(redactedId).not.toBe(plainId);
    for (const id of bad) await expect(repo.readSnapshot(id)).rejects.toBeInstanceOf(CorruptChunkError);
    await repo.close();
  });
});
