/**
 * Canonical encoding and the Merkle structure: the same content always gets the same ids
 * (twice in a row, and in two agents' directories), a big file's chunk list is a tree of
 * list nodes of which an edit in the middle rewrites only a few, and snapshot ids follow
 * content. Trees that name unsafe paths are refused on read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { CorruptChunkError, InvalidArgumentError } from '../../src/errors/index.js';
import type { ContentId } from '../../src/hash/index.js';
import {
  INLINE_CHUNKS,
  Repository,
  canonicalJson,
  decodeListNode,
  readTree,
  writeContent,
  encodeTree,
  encodeObject,
  contentRefJson,
  ListNodeMemo,
  writeObject,
  writeTree,
  type ChunkRef,
  type TreeEntry,
} from '../../src/snapshot/index.js';
import { createAgentFixture, pinMtimes } from '../helpers/agent-fixture.js';
import { pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { createMemoryStore } from '../helpers/memory-store.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-merkle-');

async function rootTree(repo: Repository, id: ContentId): Promise<ContentId> {
  return (await repo.readSnapshot(id)).sources.memdir.tree;
}

async function entryOf(repo: Repository, snapshot: ContentId, name: string): Promise<TreeEntry> {
  const entry = (await repo.readTree(await rootTree(repo, snapshot))).find((e) => e.name === name);
  expect(entry, name).toBeDefined();
  return entry!;
}

/** Level-0 list node ids under a content list root, in order. */
async function leafNodes(repo: Repository, root: ContentId): Promise<ContentId[]> {
  const node = decodeListNode(root, await repo.getChunk(root));
  if (node.level === 0) return [root];
  const out: ContentId[] = [];
  for (const [child] of node.items) out.push(...(await leafNodes(repo, child)));
  return out;
}

describe('canonical JSON', () => {
  it('gives the same text whatever the key order, and parses back to the value', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.maxSafeInteger(), fc.string(), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 })),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        const text = canonicalJson(v as never);
        expect(JSON.parse(text)).toEqual(v);
        const reversed = JSON.parse(text, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x));
        expect(canonicalJson(reversed as never)).toBe(text);
        expect(text).not.toMatch(/[\n\r]/);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses numbers that do not round-trip exactly', () => {
    for (const bad of [0.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Infinity]) expect(() => canonicalJson({ x: bad })).toThrow(InvalidArgumentError);
    expect(canonicalJson({ b: 1, a: undefined, c: [true, null] })).toBe('{"b":1,"c":[true,null]}');
  });
});

describe('trees and content lists', () => {
  it('gives a tree the same id whatever order its entries come in, and refuses unsafe names on read', async () => {
    const { store } = await createMemoryStore();
    const repo = new Repository(store);
    const writer = store.createWriter();
    const entries: TreeEntry[] = ['b', 'a', 'c.md', 'A'].map((name, i) => ({ name, kind: 'symlink', mode: 0o777, mtimeNs: String(1_700_000_000_000_000_000n + BigInt(i)), target: `t${i}` }));
    const id = await writeTree(writer, entries);
    expect(await writeTree(writer, [...entries].reverse())).toBe(id);
    await writer.flush();
    expect((await repo.readTree(id)).map((e) => e.name)).toEqual(['A', 'a', 'b', 'c.md']);
    await expect(writeTree(writer, [...entries, entries[0]!])).rejects.toThrow(/duplicate/);

    for (const name of ['..', '.', '', 'a/b', 'x\0y']) {
      const bad = await writeObject(writer, 'tree', { entries: [{ name, kind: 'symlink', mode: 0o777, mtimeNs: '0', target: 'x' }] });
      await writer.flush();
      await expect(readTree(repo.objects, bad), JSON.stringify(name)).rejects.toThrow(CorruptChunkError);
    }
    await writer.close();
    await repo.close();
  });

  it('keeps short lists inline and stores long ones as list nodes that cover every chunk in order', async () => {
    const { store } = await createMemoryStore();
    const writer = store.createWriter();
    const refs = (n: number): ChunkRef[] => Array.from({ length: n }, (_, i) => [((i + 1).toString(16).padStart(8, '0') + 'ab'.repeat(28)) as ContentId, 100 + i]);
    const inline = await writeContent(writer, refs(INLINE_CHUNKS));
    expect(inline.chunks).toHaveLength(INLINE_CHUNKS);
    expect(inline.list).toBeUndefined();
    const long = await writeContent(writer, refs(5000));
    expect(long.chunks).toBeUndefined();
    expect(long.size).toBe(refs(5000).reduce((s, [, n]) => s + n, 0));
    await writer.flush();
    const repo = new Repository(store);
    const { contentChunks } = await import('../../src/snapshot/index.js');
    const back: ChunkRef[] = [];
    for await (const ref of contentChunks((id) => repo.getChunk(id), long)) back.push(ref);
    expect(back).toEqual(refs(5000));
    await writer.close();
    await repo.close();
  });
});

describe('ListNodeMemo with an intact head', () => {
  it('leaves found nodes unwritten only when the previous version was committed and the head is intact', async () => {
    const { store } = await createMemoryStore();
    const id = (n: number): ContentId => (n.toString(16).padStart(8, '0') + 'ef'.repeat(28)) as ContentId;
    const version: ChunkRef[] = Array.from({ length: 2000 }, (_, i) => [id(i * 3 + 1), 4096]);
    const memo = new ListNodeMemo();
    const counting = () => {
      const writer = store.createWriter();
      let puts = 0;
      const sink = { put: writer.put.bind(writer), putWithId: (i: ContentId, b: Uint8Array, k?: number) => (puts++, writer.putWithId(i, b, k)), prefetchPresence: writer.prefetchPresence.bind(writer) };
      return { writer, sink, puts: () => puts };
    };
    const first = counting();
    await writeContent(first.sink, version, memo);
    await first.writer.close();
    const nodes = memo.size;
    // Not committed yet: everything is put again.
    memo.headIntact = true;
    const second = counting();
    await writeContent(second.sink, version, memo);
    expect(second.puts()).toBe(nodes);
    await second.writer.close();
    // Committed, head intact: found nodes stay unwritten; one changed chunk writes its path only.
    memo.markCommitted();
    memo.headIntact = true;
    const third = counting();
    const changed = version.map((r, i): ChunkRef => (i === 1000 ? [id(7_777_777), 4096] : r));
    const ref = await writeContent(third.sink, changed, memo);
    expect(third.puts()).toBe(memo.lastEncoded);
    expect(third.puts()).toBeLessThanOrEqual(6);
    await third.writer.close();
    // Committed but the head moved (headIntact not set): all put again.
    memo.markCommitted();
    const fourth = counting();
    expect(await writeContent(fourth.sink, changed, memo)).toEqual(ref);
    expect(fourth.puts()).toBe(memo.size);
    await fourth.writer.close();
  });
});

describe('encodeTree', () => {
  it('gives exactly the canonical encoding of the tree object', () => {
    const id = fc.stringMatching(/^[0-9a-f]{64}$/);
    const size = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    const content = fc.oneof(
      fc.record({ size, list: id }),
      fc.record({ size, chunks: fc.array(fc.tuple(id, fc.integer({ min: 0, max: 1 << 24 })), { maxLength: 4 }) }),
    );
    const entry = fc.record(
      {
        name: fc.string({ minLength: 1 }),
        kind: fc.constantFrom('file', 'dir', 'symlink', 'sqlite'),
        mode: fc.integer({ min: 0, max: 0o7777 }),
        mtimeNs: fc.bigInt({ min: 0n, max: 1n << 62n }).map(String),
        content,
        tree: id,
        target: fc.string(),
        pageSize: fc.constantFrom(512, 4096, 65536),
      },
      { requiredKeys: ['name', 'kind', 'mode', 'mtimeNs'] },
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
        const sorted = entries as unknown as TreeEntry[];
        const generic = encodeObject('tree', {
          entries: sorted.map((e) => ({ name: e.name, kind: e.kind, mode: e.mode, mtimeNs: e.mtimeNs, content: e.content && contentRefJson(e.content), tree: e.tree, target: e.target, pageSize: e.pageSize })),
        });
        return encodeTree(sorted).equals(generic);
      }),
      { numRuns: 300 },
    );
    expect(() => encodeTree([{ name: 'x', kind: 'file', mode: 1.5, mtimeNs: '0' }])).toThrow(InvalidArgumentError);
  });
});

describe('ListNodeMemo', () => {
  it('gives the same content references as writing without it, encoding only nodes whose items changed', async () => {
    const { store } = await createMemoryStore();
    const writer = store.createWriter();
    const id = (n: number): ContentId => (n.toString(16).padStart(8, '0') + 'cd'.repeat(28)) as ContentId;
    const version1: ChunkRef[] = Array.from({ length: 3000 }, (_, i) => [id(i * 7 + 1), 4096]);
    const memo = new ListNodeMemo();
    const a = await writeContent(writer, version1, memo);
    expect(a).toEqual(await writeContent(writer, version1));
    expect(memo.lastReused).toBe(0);
    const nodes = memo.size;
    expect(nodes).toBeGreaterThan(100);
    // One chunk replaced near the middle: its level-0 node and the nodes above it change.
    const version2 = version1.map((ref, i): ChunkRef => (i === 1500 ? [id(999_999), 4096] : ref));
    const b = await writeContent(writer, version2, memo);
    expect(b).toEqual(await writeContent(writer, version2));
    expect(b.list).not.toBe(a.list);
    expect(memo.lastEncoded).toBeGreaterThanOrEqual(2);
    expect(memo.lastEncoded).toBeLessThanOrEqual(6);
    expect(memo.lastReused + memo.lastEncoded).toBe(memo.size);
    // Chunks inserted at the front shift every position: nodes are still found by their items.
    const version3: ChunkRef[] = [[id(888_888), 100], ...version2];
    const c = await writeContent(writer, version3, memo);
    expect(c).toEqual(await writeContent(writer, version3));
    expect(memo.lastEncoded).toBeLessThanOrEqual(6);
    await writer.close();
  });
});

describe('Merkle snapshots of agent directories', () => {
  it('captures an unchanged directory to the same root tree, and a copy under another agent to the same trees', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 3, name: 'alpha' });
    pinMtimes(fx.dir, 1_700_000_000.25);
    const copy = path.join(root, 'beta');
    fs.cpSync(fx.dir, copy, { recursive: true, verbatimSymlinks: true });
    pinMtimes(copy, 1_700_000_000.25);
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    // Structure, not the racy rule, is under test: files copied a moment ago must not count as racy.
    try {
      const first = await captureAgent(repo, { dir: fx.dir, git: false, racyWindowMs: 0 });
      const again = await captureAgent(repo, { dir: fx.dir, git: false, racyWindowMs: 0 });
      expect(await rootTree(repo, again.snapshot.id)).toBe(await rootTree(repo, first.snapshot.id));
      expect(again.snapshot.id).not.toBe(first.snapshot.id); // a new point in history
      expect(again.snapshot.sourcesDigest).toBe(first.snapshot.sourcesDigest);
      expect(again.stats.chunksStored).toBe(1); // only the snapshot root is new

      const chunksBefore = repo.chunks.stats().chunks;
      const other = await captureAgent(repo, { dir: copy, git: false, racyWindowMs: 0 });
      expect(other.snapshot.agent).toBe('beta');
      expect(await rootTree(repo, other.snapshot.id)).toBe(await rootTree(repo, first.snapshot.id));
      expect(other.stats.filesRead).toBeGreaterThan(10); // it did read everything
      expect(other.stats.chunksStored).toBe(1);
      expect(repo.chunks.stats().chunks).toBe(chunksBefore + 1);

      // One changed byte changes the file's entry, its directory's tree and the root, and nothing else.
      const note = path.join(copy, 'notes', 'people', '0.md');
      const bytes = fs.readFileSync(note);
      bytes[10] = bytes[10]! ^ 1;
      fs.writeFileSync(note, bytes);
      fs.utimesSync(note, 1_700_000_000.25, 1_700_000_000.25);
      const changed = await captureAgent(repo, { dir: copy, git: false, racyWindowMs: 0 });
      expect(await rootTree(repo, changed.snapshot.id)).not.toBe(await rootTree(repo, other.snapshot.id));
      expect(changed.snapshot.sourcesDigest).not.toBe(other.snapshot.sourcesDigest);
      expect(changed.stats.filesRead).toBe(1);
      // data chunk + notes/people + notes + root trees + snapshot
      expect(changed.stats.chunksStored).toBe(5);
      const before = await repo.readTree(await rootTree(repo, other.snapshot.id));
      const after = await repo.readTree(await rootTree(repo, changed.snapshot.id));
      const diff = after.filter((e, i) => JSON.stringify(e) !== JSON.stringify(before[i])).map((e) => e.name);
      expect(diff).toEqual(['notes']);
    } finally {
      await repo.close();
    }
  });

  it('stores a big file as list nodes and rewrites only a few of them when its middle changes', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'transcript.bin');
    const data = pseudoRandomBytes('big-file', 3 << 20);
    fs.writeFileSync(file, data);
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const first = await captureAgent(repo, { dir, git: false });
      const e1 = await entryOf(repo, first.snapshot.id, 'transcript.bin');
      expect(e1.content?.chunks).toBeUndefined();
      expect(e1.content?.list).toBeDefined();
      expect(e1.content?.size).toBe(data.length);
      const leaves1 = await leafNodes(repo, e1.content!.list!);
      expect(leaves1.length).toBeGreaterThanOrEqual(4);
      const rootNode = decodeListNode(e1.content!.list!, await repo.getChunk(e1.content!.list!));
      expect(rootNode.level).toBeGreaterThanOrEqual(1);
      const dataChunks = first.stats.chunksStored - leaves1.length - 3; // minus nodes above leaves (≥1), tree, snapshot
      expect(dataChunks).toBeGreaterThan(16 * 4);

      data.write('an edit in the middle of the file', data.length >> 1);
      fs.writeFileSync(file, data);
      const second = await captureAgent(repo, { dir, git: false });
      const e2 = await entryOf(repo, second.snapshot.id, 'transcript.bin');
      expect(e2.content!.list).not.toBe(e1.content!.list);
      expect(e2.content!.size).toBe(data.length);
      const leaves2 = await leafNodes(repo, e2.content!.list!);
      const fresh = leaves2.filter((id) => !leaves1.includes(id));
      expect(fresh.length).toBeGreaterThanOrEqual(1);
      expect(fresh.length).toBeLessThanOrEqual(2);
      expect(leaves2.length - fresh.length).toBeGreaterThanOrEqual(leaves1.length - 2);
      // changed data chunks (1-2) + fresh leaves + root node + tree + snapshot: a handful, not ~150.
      expect(second.stats.chunksStored).toBeLessThanOrEqual(2 + fresh.length + rootNode.level + 2);
      expect(second.stats.chunksStored).toBeGreaterThanOrEqual(1 + fresh.length + 1 + 2);

      const restored = path.join(root, 'restored');
      const { restoreSnapshot } = await import('../../src/restore/index.js');
      await restoreSnapshot(repo, { snapshot: second.snapshot.id, target: restored });
      expect(fs.readFileSync(path.join(restored, 'transcript.bin')).equals(data)).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('records mtimes in nanoseconds and modes exactly', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'a'), 'x', { mode: 0o640 });
    fs.chmodSync(path.join(dir, 'a'), 0o4750);
    const repo = await Repository.init(path.join(root, 'store'), { durable: false });
    try {
      const { snapshot } = await captureAgent(repo, { dir, git: false });
      const entry = await entryOf(repo, snapshot.id, 'a');
      const st = fs.lstatSync(path.join(dir, 'a'), { bigint: true });
      expect(entry.mtimeNs).toBe(String(st.mtimeNs));
      expect(entry.mode).toBe(0o4750);
    } finally {
      await repo.close();
    }
  });
});
