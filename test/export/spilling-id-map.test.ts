/**
 * SpillingIdMap behaves like an insertion-ordered Map whether in memory or spilled to disk
 * (a model-based property test across the threshold), and bundles written and checked with
 * a tiny threshold are the same bytes and the same verdicts.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importBundle, verifyBundle } from '../../src/export/index.js';
import { SpillingIdMap } from '../../src/snapshot/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { createAgentFixture, mutateAgent } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { capture, exportToBuffer, newRepo, streamOf } from './bundle-helpers.js';

const tempDir = useTempDirs('memsnap-spill-');
const ids = Array.from({ length: 40 }, (_, i) => hashContent(Buffer.from([i])));

type Op = { op: 'set'; i: number; v: number } | { op: 'delete'; i: number };

describe('SpillingIdMap', () => {
  it('matches a Map (values, order, size) across the spill threshold', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('set' as const), i: fc.nat({ max: ids.length - 1 }), v: fc.nat({ max: 3 }) }),
      fc.record({ op: fc.constant('delete' as const), i: fc.nat({ max: ids.length - 1 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.nat({ max: 12 }), (ops: Op[], limit) => {
        const model = new Map<ContentId, number>();
        const map = new SpillingIdMap(limit);
        try {
          for (const o of ops) {
            if (o.op === 'set') (model.set(ids[o.i]!, o.v), map.set(ids[o.i]!, o.v));
            else (model.delete(ids[o.i]!), map.delete(ids[o.i]!));
            expect(map.size).toBe(model.size);
          }
          expect([...map.entries()]).toEqual([...model.entries()]);
          expect([...map.sortedKeys()]).toEqual([...model.keys()].sort());
          for (const id of ids) expect(map.get(id)).toBe(model.get(id));
          if (model.size > limit) expect(map.spilled).toBe(true);
        } finally {
          map.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('bundles planned and checked on disk are the same bytes and verdicts as in memory', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 71, git: false });
    const src = await newRepo(root, 'src');
    const dst = await newRepo(root, 'dst');
    try {
      const a = (await capture(src, fx.dir)) as ContentId;
      mutateAgent(fx, 2);
      const b = (await capture(src, fx.dir)) as ContentId;
      for (const options of [{ snapshots: [a, b] }, { snapshots: [b], bases: [a] }]) {
        const inMemory = await exportToBuffer(src, options);
        const onDisk = await exportToBuffer(src, { ...options, maxIdsInMemory: 3 });
        expect(onDisk.bytes.equals(inMemory.bytes)).toBe(true);
        expect(await verifyBundle(streamOf(onDisk.bytes), { maxIdsInMemory: 3 })).toEqual(await verifyBundle(streamOf(inMemory.bytes)));
      }
      const full = await exportToBuffer(src, { snapshots: [a, b] });
      const cut = full.bytes.subarray(0, full.bytes.length - 5000);
      await expect(verifyBundle(streamOf(cut), { maxIdsInMemory: 3 })).rejects.toThrow(/bundle refused/);
      const r = await importBundle(dst, streamOf(full.bytes), { maxIdsInMemory: 3 });
      expect(r.refs[0]!.head).toBe(b);
    } finally {
      await src.close();
      await dst.close();
    }
  });
});
