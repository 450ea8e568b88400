/**
 * Properties of bundles: reading gives the same answer however the stream is sliced; any
 * single flipped byte anywhere in the bundle is refused; an import that fails leaves the
 * receiver's existing heads and catalog exactly as they were.
 */
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { CorruptBundleError } from '../../src/errors/index.js';
import { importBundle, verifyBundle } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import type { Repository } from '../../src/snapshot/index.js';
import { createAgentFixture, mutateAgent } from '../helpers/agent-fixture.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { bundleEntries, capture, craftBundle, exportToBuffer, newRepo, streamOf } from './bundle-helpers.js';

let root: string;
let src: Repository;
let first: ContentId;
let second: ContentId;
let bundle: Buffer;

beforeAll(async () => {
  root = makeTempDir('memsnap-bundle-props-');
  const fx = createAgentFixture(root, { seed: 61, notes: 4, git: false });
  src = await newRepo(root, 'src');
  first = (await capture(src, fx.dir)) as ContentId;
  mutateAgent(fx, 1);
  second = (await capture(src, fx.dir)) as ContentId;
  bundle = (await exportToBuffer(src, { snapshots: [first, second] })).bytes;
});

afterAll(async () => {
  await src.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A stream of `bytes` cut at the given offsets. */
function sliced(bytes: Buffer, cuts: number[]): Readable {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    if (p > at) parts.push(bytes.subarray(at, p));
    at = Math.max(at, p);
  }
  return Readable.from(parts, { objectMode: false });
}

describe('bundle properties', () => {
  it('verifies the same however the stream is sliced', async () => {
    const want = await verifyBundle(streamOf(bundle));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
        const got = await verifyBundle(sliced(bundle, cuts));
        expect(got).toEqual(want);
      }),
      { numRuns: 25 },
    );
  });

  it('never accepts different content: a flipped byte anywhere is refused or changes nothing read', async () => {
    // Some header bits change no content (a larger zstd window size, say): such a bundle
    // still verifies, to exactly the same snapshots and objects. Anything else is refused.
    const want = await verifyBundle(streamOf(bundle));
    let refusedCount = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bundle.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, mask) => {
        const bad = Buffer.from(bundle);
        bad[at]! ^= mask;
        const got = await verifyBundle(streamOf(bad)).catch((e: unknown) => e);
        if (got instanceof Error) {
          expect(got, `flip ${mask} at ${at} of ${bundle.length}: ${String(got)}`).toBeInstanceOf(CorruptBundleError);
          refusedCount++;
        } else expect(got, `flip ${mask} at ${at} of ${bundle.length}`).toEqual(want);
      }),
      { numRuns: 80 },
    );
    expect(refusedCount).toBeGreaterThan(70);
  });

  it('a failed import leaves existing heads, rows and fields as they were', async () => {
    const dst = await newRepo(root, `dst-${Date.now()}`);
    try {
      await importBundle(dst, streamOf((await exportToBuffer(src, { snapshots: [first] })).bytes));
      dst.catalog.saveField('agent', 'mood', 'calm');
      const before = { heads: dst.catalog.agents().map((a) => [a, dst.catalog.head(a)]), rows: dst.catalog.list(), fields: dst.catalog.loadAllFields('agent') };
      // The second snapshot would fast-forward the head, but its bundle lacks one chunk.
      const entries = await bundleEntries((await exportToBuffer(src, { snapshots: [second], bases: [first] })).bytes);
      const lastChunk = entries.map((e) => e.name).lastIndexOf(entries.filter((e) => e.name.startsWith('chunk/')).at(-1)!.name);
      const broken = await craftBundle(entries.filter((_, i) => i !== lastChunk));
      await expect(importBundle(dst, streamOf(broken))).rejects.toThrow(/missing/);
      expect({ heads: dst.catalog.agents().map((a) => [a, dst.catalog.head(a)]), rows: dst.catalog.list(), fields: dst.catalog.loadAllFields('agent') }).toEqual(before);
      expect(dst.catalog.head('agent')).toBe(first);
    } finally {
      await dst.close();
    }
  });
});
