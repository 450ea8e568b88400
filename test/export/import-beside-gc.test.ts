/**
 * An import beside a garbage collection: an incremental bundle leans on base objects the
 * receiver holds only as garbage (the agent that had them was removed). A collection runs
 * while the import is streaming: the base's objects the import pinned, and all they reach,
 * must survive it, and the chunks the import already wrote are rescued at its commit, so
 * the imported snapshot stays complete after the next collection sweeps.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { leases } from '../../src/cas/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { describe, expect, it } from 'vitest';
import { importBundle } from '../../src/export/index.js';
import { collectGarbage, forgetAgent } from '../../src/gc/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { createAgentFixture, mutateAgent } from '../helpers/agent-fixture.js';
import { pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { capture, exportToBuffer, newRepo } from './bundle-helpers.js';

const tempDir = useTempDirs('memsnap-import-gc-');

/** The bundle in two pieces, with `between` run after the first. */
function pausedStream(bytes: Buffer, between: () => Promise<void>): Readable {
  const cut = Math.floor(bytes.length * 0.6);
  return Readable.from(
    (async function* () {
      yield bytes.subarray(0, cut);
      await between();
      yield bytes.subarray(cut);
    })(),
    { objectMode: false },
  );
}

describe('import beside a collection', () => {
  it('rescues the base objects a collection condemned while the import ran', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 41, git: false });
    const sender = await newRepo(root, 'sender');
    const base = (await capture(sender, fx.dir, 'ada')) as ContentId;
    mutateAgent(fx, 5);
    // Enough new content that the bundle spans many zstd blocks: the import is mid-stream at the pause.
    fs.writeFileSync(path.join(fx.dir, 'new.bin'), pseudoRandomBytes(5, 3 << 20));
    const next = (await capture(sender, fx.dir, 'ada')) as ContentId;
    const full = (await exportToBuffer(sender, { snapshots: [base] })).bytes;
    const incremental = (await exportToBuffer(sender, { snapshots: [next], bases: [base] })).bytes;

    const receiver = await newRepo(root, 'receiver');
    await importBundle(receiver, Readable.from([full]));
    forgetAgent(receiver, 'ada'); // the base's objects are now garbage, still stored
    let condemned = 0;
    const result = await importBundle(
      receiver,
      pausedStream(incremental, async () => {
        // Wait until the import has read the manifest and opened its writer.
        for (let i = 0; i < 500 && leases(receiver.chunks.index.database).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(leases(receiver.chunks.index.database)).toHaveLength(1);
        const gc = await collectGarbage(receiver, { waitForWritersMs: 0 });
        condemned = gc.chunks.unreferenced;
        expect(gc.chunks.deferred).toBeGreaterThan(0); // the import's writer holds the sweep off
      }),
    );
    expect(condemned).toBeGreaterThan(0);
    expect(result.snapshots.map((s) => s.id)).toEqual([next]);
    await collectGarbage(receiver);
    const report = await verifySnapshots(receiver);
    expect(report.damage).toEqual([]);
    expect(report.snapshots).toBe(1);
    await receiver.close();
    await sender.close();
  });
});
