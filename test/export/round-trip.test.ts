/**
 * Export → import → restore of a generated agent, byte for byte; determinism; several
 * snapshots and whole histories in one bundle, sharing chunks.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBundle, verifyBundle } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { createAgentFixture, describeTree, mutateAgent } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { bundleEntries, capture, exportToBuffer, newRepo, streamOf } from './bundle-helpers.js';

const tempDir = useTempDirs('memsnap-bundle-');

describe('bundle round trip', () => {
  it('exports a snapshot, imports it into an empty store, and restores the same bytes', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 3 });
    const src = await newRepo(root, 'src');
    const dst = await newRepo(root, 'dst');
    try {
      src.catalog.saveAllFields('agent', { mood: 'curious', turns: 3 });
      const id = (await capture(src, fx.dir)) as ContentId;
      const { bytes, result } = await exportToBuffer(src, { snapshots: [id] });
      expect(result.manifest.snapshots).toEqual([id]);
      expect(result.bundleBytes).toBe(bytes.length);

      const imported = await importBundle(dst, streamOf(bytes, 7777));
      expect(imported.snapshots.map((s) => s.id)).toEqual([id]);
      expect(imported.refs).toEqual([{ agent: 'agent', bundleHead: id, head: id, previousHead: null, action: 'created', fieldsRestored: true }]);
      expect(dst.catalog.loadAllFields('agent')).toEqual({ mood: 'curious', turns: 3 });
      expect(dst.catalog.head('agent')).toBe(id);
      expect(imported.chunksStored).toBe(result.manifest.entries);

      await restoreSnapshot(src, { snapshot: id, target: path.join(root, 'from-src') });
      await restoreSnapshot(dst, { snapshot: id, target: path.join(root, 'from-dst') });
      const want = describeTree(path.join(root, 'from-src'));
      const got = describeTree(path.join(root, 'from-dst'));
      expect([...got.keys()]).toEqual([...want.keys()]);
      for (const [rel, w] of want) expect(got.get(rel), rel).toEqual(w);
      expect(want.size).toBeGreaterThan(10);

      // A second import of the same bundle stores nothing new and leaves the head alone.
      const again = await importBundle(dst, streamOf(bytes));
      expect(again.chunksStored).toBe(0);
      expect(again.refs[0]).toMatchObject({ action: 'unchanged', fieldsRestored: false });
    } finally {
      await src.close();
      await dst.close();
    }
  });

  it('is deterministic: the same snapshot gives byte-identical bundles, even from another store', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 4 });
    const a = await newRepo(root, 'a');
    try {
      const id = (await capture(a, fx.dir)) as ContentId;
      const one = await exportToBuffer(a, { snapshots: [id] });
      const two = await exportToBuffer(a, { snapshots: [id] });
      expect(one.bytes.equals(two.bytes)).toBe(true);
      const b = await newRepo(root, 'b');
      await importBundle(b, streamOf(one.bytes));
      const three = await exportToBuffer(b, { snapshots: [id] });
      await b.close();
      expect(three.bytes.equals(one.bytes)).toBe(true);
      const names = (await bundleEntries(one.bytes)).map((e) => e.name);
      expect(names[0]).toBe('memsnap-bundle.json');
      expect(names[1]).toBe(`snapshot/${id}`);
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await a.close();
    }
  });

  it('carries several agents in one bundle, their shared chunks once, and sets each head', async () => {
    const root = tempDir();
    const one = createAgentFixture(path.join(root, 'one'), { seed: 6, git: false });
    const two = createAgentFixture(path.join(root, 'two'), { seed: 6, git: false }); // same content, other mtimes
    const src = await newRepo(root, 'src');
    const dst = await newRepo(root, 'dst');
    try {
      const a = (await capture(src, one.dir, 'ann')) as ContentId;
      const b = (await capture(src, two.dir, 'bob')) as ContentId;
      const both = await exportToBuffer(src, { snapshots: [a, b] });
      const alone = await exportToBuffer(src, { snapshots: [a] });
      expect(both.result.manifest.bytes).toBeLessThan(alone.result.manifest.bytes * 1.2);
      const r = await importBundle(dst, streamOf(both.bytes));
      expect(r.refs.map((x) => [x.agent, x.action, x.head])).toEqual([
        ['ann', 'created', a],
        ['bob', 'created', b],
      ]);
    } finally {
      await src.close();
      await dst.close();
    }
  });

  it('puts a whole history in one bundle, sharing chunks, and imports it with seq numbers and head', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 5 });
    const src = await newRepo(root, 'src');
    const dst = await newRepo(root, 'dst');
    try {
      const ids: ContentId[] = [];
      for (let turn = 0; turn < 3; turn++) {
        if (turn > 0) mutateAgent(fx);
        ids.push((await capture(src, fx.dir)) as ContentId);
      }
      const single = await exportToBuffer(src, { snapshots: [ids[2]!] });
      const history = await exportToBuffer(src, { snapshots: ids });
      const sum = (await Promise.all(ids.map((id) => exportToBuffer(src, { snapshots: [id] })))).reduce((n, b) => n + b.bytes.length, 0);
      expect(history.bytes.length).toBeLessThan(sum * 0.6);
      expect(history.bytes.length).toBeLessThan(single.bytes.length * 1.5);

      const v = await verifyBundle(streamOf(history.bytes));
      expect(v.snapshots.map((s) => s.id)).toEqual(ids);
      const imported = await importBundle(dst, streamOf(history.bytes));
      expect(imported.snapshots.map((s) => s.seq)).toEqual([1, 2, 3]);
      expect(dst.catalog.head('agent')).toBe(ids[2]);
      expect(imported.refs[0]!.action).toBe('created');
    } finally {
      await src.close();
      await dst.close();
    }
  });
});
