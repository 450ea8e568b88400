/**
 * Incremental bundles: only what the base does not reach, much smaller than a full bundle;
 * importing one without its base names the base and changes nothing; with it, the import
 * completes the snapshot and fast-forwards the head. Head moves on import: created,
 * fast-forward, unchanged, diverged.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MissingBaseError } from '../../src/errors/index.js';
import { importBundle, verifyBundle } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { createAgentFixture, describeTree, mutateAgent } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { capture, exportToBuffer, newRepo, streamOf } from './bundle-helpers.js';

const tempDir = useTempDirs('memsnap-incremental-');

describe('incremental bundles', () => {
  it('hold only what the base lacks, name a missing base, and complete the snapshot when the base is there', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 11, notes: 60, git: false });
    const src = await newRepo(root, 'src');
    const dst = await newRepo(root, 'dst');
    const empty = await newRepo(root, 'empty');
    try {
      const base = (await capture(src, fx.dir)) as ContentId;
      mutateAgent(fx, 2); // one small turn: a few notes and rows
      const next = (await capture(src, fx.dir)) as ContentId;
      const full = await exportToBuffer(src, { snapshots: [next] });
      const incr = await exportToBuffer(src, { snapshots: [next], bases: [base] });
      expect(incr.result.manifest.bases).toEqual([base]);
      expect(incr.result.manifest.external).toBeGreaterThan(0);
      // The fixture is tiny (3 small databases), so one turn touches a large share of its pages;
      // bench/bundle.ts measures the ratio on the real per-turn workload.
      expect(incr.bytes.length).toBeLessThan(full.bytes.length / 2);
      expect(incr.result.manifest.entries).toBeLessThan(full.result.manifest.entries / 2);

      // Verifiable without any store: what it lacks is declared external.
      const v = await verifyBundle(streamOf(incr.bytes));
      expect(v.external).toBe(incr.result.manifest.external);

      const err = await importBundle(empty, streamOf(incr.bytes)).catch((e: unknown) => e);
      expect(err, String(err)).toBeInstanceOf(MissingBaseError);
      expect((err as Error).message).toContain(base.slice(0, 12));
      expect(empty.catalog.head('agent')).toBeNull();
      expect(empty.catalog.list()).toEqual([]);
      expect(empty.chunks.stats().chunks).toBe(0);

      const baseBundle = await exportToBuffer(src, { snapshots: [base] });
      expect((await importBundle(dst, streamOf(baseBundle.bytes))).refs[0]!.action).toBe('created');
      const r = await importBundle(dst, streamOf(incr.bytes));
      expect(r.refs[0]).toMatchObject({ action: 'fast-forward', previousHead: base, head: next });
      expect(r.snapshots[0]!.seq).toBe(2);
      await restoreSnapshot(src, { snapshot: next, target: path.join(root, 'a') });
      await restoreSnapshot(dst, { snapshot: next, target: path.join(root, 'b') });
      expect(describeTree(path.join(root, 'b'))).toEqual(describeTree(path.join(root, 'a')));
    } finally {
      await Promise.all([src.close(), dst.close(), empty.close()]);
    }
  });

  it('renumbers snapshots that arrived before their ancestors once the ancestors come', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 13, git: false });
    const src = await newRepo(root, 'src');
    const dst = await newRepo(root, 'dst');
    try {
      const ids: ContentId[] = [];
      for (let turn = 0; turn < 3; turn++) {
        if (turn > 0) mutateAgent(fx, 1);
        ids.push((await capture(src, fx.dir)) as ContentId);
      }
      // The newest alone first (a full bundle: complete without its history), then the rest.
      const newest = await importBundle(dst, streamOf((await exportToBuffer(src, { snapshots: [ids[2]!] })).bytes));
      expect(newest.snapshots[0]!.seq).toBe(1);
      const rest = await importBundle(dst, streamOf((await exportToBuffer(src, { snapshots: [ids[0]!, ids[1]!] })).bytes));
      expect(rest.refs[0]).toMatchObject({ action: 'unchanged', head: ids[2] });
      expect(ids.map((id) => dst.catalog.get(id)!.seq)).toEqual([1, 2, 3]);
      expect(dst.catalog.bySeq('agent', 3)!.id).toBe(ids[2]);
    } finally {
      await Promise.all([src.close(), dst.close()]);
    }
  });

  it('keeps a local head that is newer, and reports diverged histories without moving the head', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 12 });
    const src = await newRepo(root, 'src');
    const dst = await newRepo(root, 'dst');
    try {
      const first = (await capture(src, fx.dir)) as ContentId;
      mutateAgent(fx);
      const second = (await capture(src, fx.dir)) as ContentId;
      await importBundle(dst, streamOf((await exportToBuffer(src, { snapshots: [first, second] })).bytes));
      expect(dst.catalog.head('agent')).toBe(second);
      // An older snapshot arriving later does not move the head back.
      const old = await importBundle(dst, streamOf((await exportToBuffer(src, { snapshots: [first] })).bytes));
      expect(old.refs[0]).toMatchObject({ action: 'unchanged', head: second });
      // The receiver captures its own turn; then the sender's next turn diverges from it.
      const fxDst = createAgentFixture(path.join(root, 'other'), { seed: 99 });
      const local = (await capture(dst, fxDst.dir)) as ContentId;
      mutateAgent(fx);
      const third = (await capture(src, fx.dir)) as ContentId;
      const div = await importBundle(dst, streamOf((await exportToBuffer(src, { snapshots: [third], bases: [second] })).bytes));
      expect(div.refs[0]).toMatchObject({ action: 'diverged', head: local, bundleHead: third, previousHead: local });
      expect(dst.catalog.get(third)?.seq).toBe(3);
    } finally {
      await Promise.all([src.close(), dst.close()]);
    }
  });
});
