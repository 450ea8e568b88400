/**
 * Opening and creating stores fails with precise errors, and a failed open leaves the
 * directory as it was (no index file created) and no handles open.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/cas/backend/memory-backend.js';
import { ChunkIndex } from '../../src/cas/chunk-index.js';
import { ChunkStore } from '../../src/cas/chunk-store.js';
import { INDEX_FILE, initLocalStore, openLocalStore } from '../../src/cas/local-store.js';
import { InvalidArgumentError, NotAStoreError, StoreExistsError, UnsupportedVersionError } from '../../src/errors/index.js';
import { openFilesUnder } from '../helpers/open-files.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-errors-');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

function expectNotAStore(err: unknown, dir: string): void {
  expect(err).toBeInstanceOf(NotAStoreError);
  const e = err as NotAStoreError;
  expect(e.code).toBe('NOT_A_STORE');
  expect(e.name).toBe('NotAStoreError');
  expect(e.message).toContain(dir);
  expect(e.message).toContain('memsnap init');
  expect(e.data['path']).toBe(dir);
}

describe('opening something that is not a store', () => {
  it('an empty directory: NotAStoreError, and nothing is created there', async () => {
    const dir = tempDir();
    expectNotAStore(await rejection(openLocalStore(dir)), dir);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a directory of other files: NotAStoreError, no index file', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'notes.md'), '# my notes\n');
    fs.mkdirSync(path.join(dir, 'packs'));
    expectNotAStore(await rejection(openLocalStore(dir)), dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['notes.md', 'packs']);
    expect(fs.existsSync(path.join(dir, INDEX_FILE))).toBe(false);
  });

  it('a missing directory: NotAStoreError, and the directory is not created', async () => {
    const dir = path.join(tempDir(), 'no', 'such', 'store');
    const err = await rejection(openLocalStore(dir));
    expectNotAStore(err, dir);
    expect((err as NotAStoreError).data['reason']).toMatch(/does not exist/);
    expect(fs.existsSync(path.join(dir, '..'))).toBe(false);
  });

  it('a regular file: NotAStoreError', async () => {
    const file = path.join(tempDir(), 'file');
    fs.writeFileSync(file, 'x');
    expectNotAStore(await rejection(openLocalStore(file)), file);
  });

  it('a config.json that is not a memsnap config: NotAStoreError', async () => {
    const dir = tempDir();
    const store = await initLocalStore(dir);
    await store.close();
    fs.writeFileSync(path.join(dir, 'config.json'), '{"name": "some other tool"}');
    expectNotAStore(await rejection(openLocalStore(dir)), `file:${dir}`);
    fs.writeFileSync(path.join(dir, 'config.json'), 'not json at all');
    expect(await rejection(openLocalStore(dir))).toBeInstanceOf(NotAStoreError);
  });

  it('an empty backend: ChunkStore.open throws NotAStoreError', async () => {
    const err = await rejection(ChunkStore.open(new MemoryBackend(), new ChunkIndex(':memory:')));
    expect(err).toBeInstanceOf(NotAStoreError);
    expect((err as NotAStoreError).message).toContain('memsnap init');
  });
});

describe('a store written by a newer memsnap', () => {
  it('config version 99: UnsupportedVersionError, and the index is not left open', async () => {
    const dir = tempDir();
    const store = await initLocalStore(dir);
    await store.close();
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(configFile, JSON.stringify({ ...config, version: 99 }));

    const err = await rejection(openLocalStore(dir));
    expect(err).toBeInstanceOf(UnsupportedVersionError);
    const e = err as UnsupportedVersionError;
    expect(e.code).toBe('UNSUPPORTED_VERSION');
    expect(e.data).toMatchObject({ what: 'store', found: '99', supported: 1 });
    expect(e.message).toMatch(/upgrade memsnap/);
    const open = openFilesUnder(dir);
    if (open !== undefined) expect(open).toEqual([]);
  });
});

describe('creating a store', () => {
  it('initLocalStore twice: StoreExistsError, and the first config is untouched', async () => {
    const dir = tempDir();
    const store = await initLocalStore(dir);
    const storeId = store.config.storeId;
    await store.close();
    const before = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');

    const err = await rejection(initLocalStore(dir, { compressionLevel: 9 }));
    expect(err).toBeInstanceOf(StoreExistsError);
    expect((err as StoreExistsError).code).toBe('STORE_EXISTS');
    expect((err as StoreExistsError).message).toContain(dir);
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe(before);
    const open = openFilesUnder(dir);
    if (open !== undefined) expect(open).toEqual([]);

    const reopened = await openLocalStore(dir);
    expect(reopened.config.storeId).toBe(storeId);
    expect(reopened.config.compression.level).toBe(3);
    await reopened.close();
  });

  it('creates the directory 0700 when missing', async () => {
    const dir = path.join(tempDir(), 'new', 'store');
    const store = await initLocalStore(dir);
    await store.close();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('refuses a path that is a file with InvalidArgumentError', async () => {
    const file = path.join(tempDir(), 'file');
    fs.writeFileSync(file, 'x');
    expect(await rejection(initLocalStore(file))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('store config validation', () => {
  const tempDir = useTempDirs();

  it('refuses a page-aligned chunker as the file chunker and the reverse', async () => {
    await expect(initLocalStore(path.join(tempDir(), 'a'), { fileChunker: 'pages-v1-8k' })).rejects.toBeInstanceOf(UnsupportedVersionError);
    await expect(initLocalStore(path.join(tempDir(), 'b'), { sqliteChunker: 'fastcdc-v1-16k' })).rejects.toBeInstanceOf(UnsupportedVersionError);
  });
});

describe('store file permissions', () => {
  const tempDir = useTempDirs();

  it('keeps every file of a local store private, the SQLite index and its -wal/-shm included', async () => {
    const dir = path.join(tempDir(), 'store');
    const previous = process.umask(0o000);
    try {
      const store = await initLocalStore(dir);
      const writer = store.createWriter();
      await writer.put(Buffer.from('some chunk'));
      await writer.flush();
      const files = fs.readdirSync(dir).filter((f) => f.startsWith(INDEX_FILE));
      expect(files).toEqual(expect.arrayContaining([INDEX_FILE, `${INDEX_FILE}-wal`, `${INDEX_FILE}-shm`]));
      for (const f of files) expect((fs.statSync(path.join(dir, f)).mode & 0o777).toString(8), f).toBe('600');
      await store.close();
    } finally {
      process.umask(previous);
    }
  });
});

describe('init location', () => {
  const tempDir = useTempDirs();

  it('refuses a non-empty directory that holds no store, and leaves it as it was', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'letter.txt'), 'mine');
    await expect(initLocalStore(dir)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(fs.readdirSync(dir)).toEqual(['letter.txt']);
  });
});
