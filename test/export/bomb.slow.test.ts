/**
 * Real decompression bombs: 2 GiB of zeros compressed to a few tens of kB must be refused
 * with memory growth far below the expansion (the decompressor is pulled, never more than
 * one buffer ahead of the byte cap; zstd-napi's DecompressStream grew 1.8 GB here), and a
 * complete bundle followed by a gigabyte of zeros under a manifest that claims a terabyte
 * is refused right after its last entry, not after decompressing the terabyte.
 */
import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CompressStream } from 'zstd-napi';
import { CorruptBundleError } from '../../src/errors/index.js';
import { verifyBundle } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { createAgentFixture } from '../helpers/agent-fixture.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { bundleEntries, capture, craftTar, exportToBuffer, newRepo } from './bundle-helpers.js';

const MB = 1 << 20;

async function zerosCompressed(total: number): Promise<Buffer> {
  const zeros = Buffer.alloc(MB);
  const z = new CompressStream({ compressionLevel: 1 });
  const parts: Buffer[] = [];
  z.on('data', (b: Buffer) => parts.push(b));
  const ended = new Promise<void>((resolve) => z.on('end', () => resolve()));
  for (let i = 0; i < total / MB; i++) if (!z.write(zeros)) await new Promise((r) => z.once('drain', r));
  z.end();
  await ended;
  return Buffer.concat(parts);
}

describe('decompression bomb', () => {
  it('refuses zeros trailing a complete bundle promptly (the cap tightens after the last entry)', async () => {
    const root = makeTempDir('memsnap-bomb-');
    try {
      const fx = createAgentFixture(root, { seed: 81, git: false });
      const repo = await newRepo(root);
      const id = await capture(repo, fx.dir);
      const entries = await bundleEntries((await exportToBuffer(repo, { snapshots: [id as ContentId] })).bytes);
      await repo.close();
      // The manifest claims a terabyte; the real entries follow, then 1 GiB of zeros.
      const manifest = { ...(JSON.parse(entries[0]!.bytes.toString()) as object), bytes: 2 ** 40 };
      const tarBytes = await craftTar([{ name: entries[0]!.name, bytes: Buffer.from(JSON.stringify(manifest)) }, ...entries.slice(1)]);
      const z = new CompressStream({ compressionLevel: 1 });
      const parts: Buffer[] = [];
      z.on('data', (b: Buffer) => parts.push(b));
      const ended = new Promise<void>((resolve) => z.on('end', () => resolve()));
      z.write(tarBytes);
      const zeros = Buffer.alloc(MB);
      for (let i = 0; i < 1024; i++) if (!z.write(zeros)) await new Promise((r) => z.once('drain', r));
      z.end();
      await ended;
      const t = performance.now();
      const err = await verifyBundle(Readable.from([Buffer.concat(parts)], { objectMode: false })).catch((e: unknown) => e);
      expect(err, String(err)).toBeInstanceOf(CorruptBundleError);
      expect((err as Error).message).toMatch(/after the last entry|more bytes than/);
      expect(performance.now() - t).toBeLessThan(5000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses 2 GiB of zeros in a few kB without inflating it in memory', async () => {
    const bomb = await zerosCompressed(2048 * MB);
    expect(bomb.length).toBeLessThan(2 * MB);
    global.gc?.();
    const used = (): number => process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
    const start = used();
    let peak = start;
    const timer = setInterval(() => (peak = Math.max(peak, used())), 2);
    // One chunk: the whole bomb arrives at once.
    const err = await verifyBundle(Readable.from([bomb], { objectMode: false })).catch((e: unknown) => e);
    clearInterval(timer);
    peak = Math.max(peak, used());
    expect(err, String(err)).toBeInstanceOf(CorruptBundleError);
    expect((err as Error).message).toMatch(/decompression bomb|first entry|not a memsnap bundle|no entries/);
    expect(peak - start, `grew ${((peak - start) / MB).toFixed(0)} MB`).toBeLessThan(200 * MB);
  });
});
