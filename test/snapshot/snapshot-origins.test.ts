/**
 * External database origins are where a restore may write: a snapshot naming anything but
 * a plain absolute path (relative, with `..`, not a string) is refused when read.
 */
import { describe, expect, it } from 'vitest';
import { ChunkIndex, ChunkStore, MemoryBackend } from '../../src/cas/index.js';
import { CorruptChunkError } from '../../src/errors/index.js';
import { Repository, writeSnapshot, writeTree, type Snapshot } from '../../src/snapshot/index.js';

async function repoInMemory(): Promise<Repository> {
  return new Repository(await ChunkStore.create(new MemoryBackend(), new ChunkIndex(':memory:')));
}

function snapshotWith(tree: Snapshot['sources']['memdir']['tree'], origins: Record<string, unknown>): Snapshot {
  return {
    agent: 'a',
    parent: null,
    timeMs: 1,
    kind: 'manual',
    tags: [],
    message: '',
    sources: { memdir: { tree }, state: {}, fields: {}, databases: { tree, origins: origins as Record<string, string> } },
    totals: { files: 0, dirs: 0, symlinks: 0, databases: 0, bytes: 0 },
  };
}

describe('external database origins', () => {
  it('accepts absolute paths and refuses relative, parent-climbing or non-string ones', async () => {
    const repo = await repoInMemory();
    const writer = repo.chunks.createWriter();
    const tree = await writeTree(writer, []);
    const good = await writeSnapshot(writer, snapshotWith(tree, { 'mem.db': '/srv/agent/mem.db' }));
    const bad = await Promise.all(
      [{ 'mem.db': 'relative/mem.db' }, { 'mem.db': '/srv/../etc/passwd' }, { 'mem.db': 42 }, { '../x': '/srv/x.db' }].map((o) => writeSnapshot(writer, snapshotWith(tree, o))),
    );
    await writer.flush();
    expect((await repo.readSnapshot(good)).sources.databases?.origins).toEqual({ 'mem.db': '/srv/agent/mem.db' });
    for (const id of bad) await expect(repo.readSnapshot(id)).rejects.toBeInstanceOf(CorruptChunkError);
    await repo.close();
  });
});
