/**
 * Bounded memory: exporting and importing a snapshot of 160 MB of incompressible content
 * (~20k chunks) keeps the JavaScript heap plus Node's buffers far below the bundle's size,
 * because objects stream through tar, zstd and the chunk writer one batch at a time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { exportBundle, importBundle } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { capture, newRepo } from './bundle-helpers.js';

const tempDir = useTempDirs('memsnap-bundle-memory-');
const MB = 1 << 20;

/** Samples heapUsed + arrayBuffers while `fn` runs; returns the peak growth over the start, in bytes. */
async function peakGrowth(fn: () => Promise<unknown>): Promise<number> {
  global.gc?.();
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const start = used();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, used())), 5);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, used()) - start;
}

describe('bundle memory', () => {
  it('exports and imports 160 MB with well under 160 MB of memory growth', async () => {
    const root = tempDir();
    const agent = path.join(root, 'agent');
    fs.mkdirSync(agent);
    for (let f = 0; f < 4; f++) {
      const fd = fs.openSync(path.join(agent, `blob-${f}.bin`), 'w');
      for (let i = 0; i < 40; i++) fs.writeSync(fd, randomBytes(MB));
      fs.closeSync(fd);
    }
    const src = await newRepo(root, 'src');
    const dst = await newRepo(root, 'dst');
    try {
      const id = (await capture(src, agent)) as ContentId;
      const file = path.join(root, 'bundle.tar.zst');
      let manifestBytes = 0;
      const exportGrowth = await peakGrowth(async () => {
        manifestBytes = (await exportBundle(src, fs.createWriteStream(file), { snapshots: [id] })).manifest.bytes;
      });
      expect(manifestBytes).toBeGreaterThan(160 * MB);
      expect(fs.statSync(file).size).toBeGreaterThan(160 * MB);
      const importGrowth = await peakGrowth(() => importBundle(dst, fs.createReadStream(file)));
      expect(dst.catalog.head('agent')).toBe(id);
      expect(exportGrowth, `export grew ${(exportGrowth / MB).toFixed(1)} MB`).toBeLessThan(64 * MB);
      expect(importGrowth, `import grew ${(importGrowth / MB).toFixed(1)} MB`).toBeLessThan(64 * MB);
    } finally {
      await src.close();
      await dst.close();
    }
  });
});
