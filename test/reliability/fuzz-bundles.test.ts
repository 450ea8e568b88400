/**
 * Property-based fuzzing of bundle import and manifest decoding. Crafted bundles (arbitrary
 * entry names, kinds, bytes and manifests, some of them nearly valid) are imported into a
 * real store: each is either imported whole or refused with a memsnap error, and a refused
 * one leaves the catalog, the heads and the files beside the store exactly as they were.
 *
 * MEMSNAP_FUZZ_RUNS (default 300; bundle imports use a tenth) sets the runs per property.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemsnapError } from '../../src/errors/index.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, MANIFEST_ENTRY, decodeManifest, encodeManifest, importBundle } from '../../src/export/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { createAgentFixture } from '../helpers/agent-fixture.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { bundleEntries, capture, craftBundle, exportToBuffer, newRepo, streamOf, type RawEntry } from '../export/bundle-helpers.js';

const RUNS = Number(process.env['MEMSNAP_FUZZ_RUNS'] ?? 300);

describe('bundle fuzzing', () => {
  it('manifest decoding refuses any garbage with a memsnap error', () => {
    const near = fc.record(
      {
        format: fc.oneof(fc.constant(BUNDLE_FORMAT), fc.anything()),
        version: fc.oneof(fc.constant(BUNDLE_VERSION), fc.integer(), fc.anything()),
        snapshots: fc.oneof(fc.array(fc.constant(hashContent(Buffer.from('s')))), fc.anything()),
        bases: fc.anything(),
        entries: fc.anything(),
        bytes: fc.anything(),
        external: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), near.map((m) => new Uint8Array(Buffer.from(JSON.stringify(m))))), (bytes) => {
        try {
          decodeManifest(bytes);
        } catch (err) {
          if (!(err instanceof MemsnapError)) throw new Error(`non-memsnap error: ${String(err)}`, { cause: err });
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('import of crafted bundles: whole or refused cleanly, never a partial catalog, never a write outside the store', async () => {
    const root = makeTempDir('memsnap-fuzz-bundle-');
    try {
      const fx = createAgentFixture(path.join(root, 'fx'), { seed: 77, notes: 4, git: false });
      const sender = await newRepo(root, 'sender');
      const snap = (await capture(sender, fx.dir, 'ada')) as ContentId;
      const valid = await bundleEntries((await exportToBuffer(sender, { snapshots: [snap] })).bytes);
      await sender.close();
      const receiver = await newRepo(root, 'receiver');
      const around = () => fs.readdirSync(root).sort();
      const filesBefore = around();

      /** Mutations of the valid entry list: drop, duplicate, rename, corrupt, reorder, inject. */
      const mutation = fc.oneof(
        fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('dup' as const), at: fc.nat() }),
        fc.record({ op: fc.constant('rename' as const), at: fc.nat(), name: fc.oneof(fc.string(), fc.constantFrom('../x', '/etc/passwd', 'chunk/zz', 'tree/../../a', MANIFEST_ENTRY)) }),
        fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
        fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
        fc.record({ op: fc.constant('inject' as const), at: fc.nat(), name: fc.string(), bytes: fc.uint8Array({ maxLength: 64 }) }),
        fc.record({ op: fc.constant('manifest' as const), value: fc.anything() }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
          const entries: RawEntry[] = valid.map((e) => ({ name: e.name, bytes: e.bytes }));
          for (const m of mutations) {
            const i = 'at' in m ? m.at % entries.length : 0;
            if (m.op === 'drop' && entries.length > 1) entries.splice(i, 1);
            else if (m.op === 'dup') entries.splice(i, 0, entries[i]!);
            else if (m.op === 'rename') entries[i] = { ...entries[i]!, name: m.name || 'x' };
            else if (m.op === 'flip' && entries[i]!.bytes!.length > 0) {
              const b = Buffer.from(entries[i]!.bytes!);
              b[m.byte % b.length]! ^= m.mask;
              entries[i] = { ...entries[i]!, bytes: b };
            } else if (m.op === 'swap') [entries[i], entries[m.with % entries.length]] = [entries[m.with % entries.length]!, entries[i]!];
            else if (m.op === 'inject') entries.splice(i, 0, { name: m.name || 'y', bytes: Buffer.from(m.bytes) });
            else if (m.op === 'manifest') entries[0] = { name: MANIFEST_ENTRY, bytes: Buffer.from(JSON.stringify(m.value) ?? 'null') };
          }
          const catalogBefore = receiver.catalog.list().map((s) => s.id);
          const headsBefore = receiver.catalog.agents().map((a) => receiver.catalog.head(a));
          let bytes: Buffer;
          try {
            bytes = await craftBundle(entries);
          } catch {
            return; // tar-stream refused to write it (an unwritable name): nothing to import
          }
          try {
            const r = await importBundle(receiver, streamOf(bytes, 1000));
            // Accepted: it must be the real snapshot, complete.
            expect(r.snapshots.map((s) => s.id)).toEqual([snap]);
          } catch (err) {
            if (!(err instanceof MemsnapError)) throw new Error(`import threw a non-memsnap error: ${String(err)}`, { cause: err });
            expect(receiver.catalog.list().map((s) => s.id)).toEqual(catalogBefore);
            expect(receiver.catalog.agents().map((a) => receiver.catalog.head(a))).toEqual(headsBefore);
          }
          expect(around()).toEqual(filesBefore);
        }),
        { numRuns: Math.max(10, Math.floor(RUNS / 10)) },
      );
      // Nothing half-imported anywhere: every snapshot in the catalog is the real one.
      expect(receiver.catalog.list().every((s) => s.id === snap)).toBe(true);
      await receiver.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('re-encoding a valid manifest is stable (the fuzz starts from real bundles)', async () => {
    const m = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, snapshots: [hashContent(Buffer.from('a'))], bases: [], entries: 3, bytes: 10, external: 0 };
    expect(decodeManifest(encodeManifest(m as never))).toEqual(m);
  });
});
