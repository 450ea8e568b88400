/**
 * Export from a damaged store fails with the store's own error and, through the CLI's file
 * output, leaves no bundle (not even a partial one) under the name asked for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBundleOutput } from '../../src/cli/bundle-files.js';
import { CorruptChunkError, InvalidArgumentError, MemsnapError } from '../../src/errors/index.js';
import { exportBundle } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { createAgentFixture } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { capture, Collector, newRepo } from './bundle-helpers.js';

const tempDir = useTempDirs('memsnap-export-fail-');

describe('export failures', () => {
  it('a damaged pack fails the export with the store error and leaves no file', async () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 91, git: false });
    const repo = await newRepo(root);
    try {
      const id = (await capture(repo, fx.dir)) as ContentId;
      // Damage the middle of every pack: some object the export needs no longer hashes right.
      const packs = path.join(root, 'store', 'packs');
      for (const dir of fs.readdirSync(packs)) {
        for (const name of fs.readdirSync(path.join(packs, dir))) {
          const file = path.join(packs, dir, name);
          const bytes = fs.readFileSync(file);
          for (let at = 4096; at < bytes.length - 4096; at += 997) bytes[at]! ^= 0xff;
          fs.writeFileSync(file, bytes);
        }
      }
      const err = await exportBundle(repo, new Collector(), { snapshots: [id] }).catch((e: unknown) => e);
      expect(err, String(err)).toBeInstanceOf(MemsnapError);
      expect([CorruptChunkError.name, 'NotFoundError']).toContain((err as Error).name);

      const out = path.join(root, 'out.tar.zst');
      await expect(writeBundleOutput(out, (sink) => exportBundle(repo, sink, { snapshots: [id] }))).rejects.toBeInstanceOf(MemsnapError);
      expect(fs.readdirSync(root).filter((n) => n.includes('out.tar.zst'))).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it('refuses bad options before writing anything', async () => {
    const root = tempDir();
    const repo = await newRepo(root);
    try {
      const sink = new Collector();
      await expect(exportBundle(repo, sink, { snapshots: [] })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(exportBundle(repo, sink, { snapshots: ['a'.repeat(64) as ContentId], level: 30 })).rejects.toThrow(/level must be 1..19/);
      expect(sink.bytes().length).toBe(0);
    } finally {
      await repo.close();
    }
  });
});
