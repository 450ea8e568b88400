/**
 * Bounded memory: exporting and importing a snapshot of 160 MB of incompressible content
 * (~20k chunks) keeps the JavaScript heap plus Node's buffers far below the bundle's size,
 * because objects stream through tar, zstd and the chunk writer one batch at a time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { exportBundle, importBundle } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { capture, newRepo } from './bundle-helpers.js';

const tempDir = useTempDirs('memsnap-bundle-memory-');
const MB = 1 << 20;

/** A full garbage collection (V8's gc, exposed at run time: the test runner starts without --expose-gc). */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/**
 * Peak live memory (heapUsed + arrayBuffers, measured right after a full collection every
 * 25 ms) while `fn` runs, over the start, in bytes. Sampling after a collection measures
 * what is retained, not how far garbage piled up before V8 got to it (which depends on the
 * machine's load: an uncollected sample once read 83 MB where the live peak is far lower).
 */
async function peakGrowth(fn: () => Promise<unknown>): Promise<number> {
  const live = (): number => {
    collectGarbage();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const start = live();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, live())), 25);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, live()) - start;
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
      if (process.env['SHOW_GROWTH']) console.log(`export ${(exportGrowth / MB).toFixed(1)} MB, import ${(importGrowth / MB).toFixed(1)} MB`);
      expect(exportGrowth, `export grew ${(exportGrowth / MB).toFixed(1)} MB`).toBeLessThan(64 * MB);
      expect(importGrowth, `import grew ${(importGrowth / MB).toFixed(1)} MB`).toBeLessThan(64 * MB);
    } finally {
      await src.close();
      await dst.close();
    }
  });
});
