/**
 * Odd but legal input, and failing storage: names in every awkward shape round-trip
 * exactly; a sparse file is captured cheaply and restored sparse and byte-exact; a backend
 * that fails a write (a full disk, a dropped connection) makes the capture fail with
 * BACKEND_IO and commit nothing, and the next capture works.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { BackendIoError } from '../../src/errors/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { createMemoryStore } from '../helpers/memory-store.js';
import { pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-odd-');

const ODD_NAMES = [
  'café.md', // NFC
  'cafe\u0301.md', // NFD: a different name with the same look
  '日本語のメモ.txt',
  '🧠 memory.json',
  'line\nbreak.md',
  'tab\there.md',
  'back\\slash.md',
  '-leading-dash',
  ' leading space',
  'trailing space ',
  '..dots',
  '.hidden',
  'x'.repeat(255), // the longest name a file system takes
  '%s%n%x',
  'quote"and\'apostrophe',
];

function sha(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('odd names and shapes', () => {
  it('round-trips awkward file names, deep nesting and a 255-byte name exactly', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    for (const [i, name] of ODD_NAMES.entries()) fs.writeFileSync(path.join(dir, name), `content ${i}\n`);
    let deep = dir;
    for (let i = 0; i < 40; i++) deep = path.join(deep, `level-${i}-${'d'.repeat(60)}`);
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'bottom.md'), 'deep\n');
    expect(path.relative(dir, deep).length).toBeGreaterThan(2500);

    const repo = new Repository((await createMemoryStore()).store);
    const { snapshot } = await captureAgent(repo, { dir, agent: 'odd', git: false });
    const target = path.join(root, 'restored');
    await restoreSnapshot(repo, { snapshot: snapshot.id, target });
    expect(fs.readdirSync(target).sort()).toEqual(fs.readdirSync(dir).sort());
    for (const name of ODD_NAMES) expect(fs.readFileSync(path.join(target, name), 'utf8'), JSON.stringify(name)).toBe(fs.readFileSync(path.join(dir, name), 'utf8'));
    expect(fs.readFileSync(path.join(target, path.relative(dir, deep), 'bottom.md'), 'utf8')).toBe('deep\n');
    await repo.close();
  });

  it('captures a sparse file cheaply and restores it sparse and byte-exact', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'vectors.bin');
    const size = 256 << 20;
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, size);
    for (const at of [0, 100 << 20, size - 4096]) fs.writeSync(fd, pseudoRandomBytes(at, 4096), 0, 4096, at);
    fs.closeSync(fd);

    const repo = await Repository.init(path.join(root, 'store'));
    const { snapshot, stats } = await captureAgent(repo, { dir, agent: 'sparse', git: false });
    expect(snapshot.bytes).toBe(size);
    expect(stats.bytesStored).toBeLessThan(1 << 20); // zeros dedup to a handful of chunks
    const target = path.join(root, 'restored');
    await restoreSnapshot(repo, { snapshot: snapshot.id, target });
    const restored = path.join(target, 'vectors.bin');
    expect(fs.statSync(restored).size).toBe(size);
    expect(sha(restored)).toBe(sha(file));
    // Allocated blocks: a few MiB of data, not 256 MiB of zeros.
    expect(fs.statSync(restored).blocks * 512).toBeLessThan(16 << 20);
    await repo.close();
  });
});

describe('failing storage', () => {
  it.each([1, 2, 3])('a failed pack write (put #%i) fails the capture with BACKEND_IO and commits nothing', async (nth) => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, `n${i}.md`), pseudoRandomBytes(i, 200_000));
    const { store, backend } = await createMemoryStore({ packTargetBytes: 1 << 20 });
    const repo = new Repository(store);
    backend.failNth('put', nth);
    await expect(captureAgent(repo, { dir, agent: 'a', git: false })).rejects.toThrow(BackendIoError);
    expect(repo.catalog.head('a')).toBeNull();
    expect(repo.catalog.list()).toEqual([]);
    // Whatever was indexed points at packs that exist, and the next capture succeeds whole.
    const { snapshot } = await captureAgent(repo, { dir, agent: 'a', git: false });
    expect(repo.catalog.head('a')).toBe(snapshot.id);
    expect((await verifySnapshots(repo)).ok).toBe(true);
    expect(store.index.database.prepare(`SELECT count(*) FROM writers`).pluck().get()).toBe(0);
    await repo.close();
  });
});
