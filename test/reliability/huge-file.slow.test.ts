/**
 * A file larger than 4 GiB (sparse, so the test needs no real disk space): offsets past
 * 2^32 survive capture, the content list, restore and verify; the restored file is sparse
 * and byte-exact where it holds data, and its size is exact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-huge-');
const SIZE = 5 * 2 ** 30 + 12345;
const ISLANDS = [0, 2 ** 31 - 100, 2 ** 32 + 7, SIZE - 5000];

function readAt(file: string, at: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, at);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

describe('a 5 GiB sparse file', () => {
  it('round-trips with offsets past 4 GiB', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'huge.bin');
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, SIZE);
    for (const at of ISLANDS) fs.writeSync(fd, pseudoRandomBytes(at, 5000), 0, 5000, at);
    fs.closeSync(fd);

    const repo = await Repository.init(path.join(root, 'store'));
    const { snapshot, stats } = await captureAgent(repo, { dir, agent: 'huge', git: false });
    expect(snapshot.bytes).toBe(SIZE);
    expect(stats.bytesStored).toBeLessThan(4 << 20);
    expect((await verifySnapshots(repo)).ok).toBe(true);
    const target = path.join(root, 'restored');
    await restoreSnapshot(repo, { snapshot: snapshot.id, target });
    const restored = path.join(target, 'huge.bin');
    expect(fs.statSync(restored).size).toBe(SIZE);
    expect(fs.statSync(restored).blocks * 512).toBeLessThan(64 << 20);
    for (const at of ISLANDS) {
      expect(readAt(restored, at, 5000).equals(pseudoRandomBytes(at, 5000)), `data at ${at}`).toBe(true);
      if (at > 10_000) expect(readAt(restored, at - 4096, 4096).equals(Buffer.alloc(4096)), `zeros before ${at}`).toBe(true);
    }
    await repo.close();
  }, 600_000);
});
