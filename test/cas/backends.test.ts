/**
 * Every ObjectBackend runs the shared conformance suite; FsBackend also proves its
 * file-system promises: private modes, no debris from a failed put, temp-file cleanup.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsBackend } from '../../src/cas/backend/fs-backend.js';
import { MemoryBackend } from '../../src/cas/backend/memory-backend.js';
import { BackendIoError } from '../../src/errors/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { describeBackendConformance } from './backend-conformance.js';

const tempDir = useTempDirs('memsnap-backend-');

describeBackendConformance('MemoryBackend', () => new MemoryBackend());
describeBackendConformance('FsBackend', () => new FsBackend(path.join(tempDir(), 'store')));
describeBackendConformance('FsBackend (not durable)', () => new FsBackend(path.join(tempDir(), 'store'), { durable: false, maxOpenFiles: 2 }));

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

function filesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

describe('FsBackend on disk', () => {
  it('creates files 0600 and directories 0700, even under a permissive umask', async () => {
    const root = path.join(tempDir(), 'store');
    const previous = process.umask(0o000);
    try {
      const b = new FsBackend(root);
      await b.put('packs/ab/x.pack', Buffer.from('pack'));
      await b.put('config.json', Buffer.from('{}'));
      await b.close();
    } finally {
      process.umask(previous);
    }
    expect(mode(path.join(root, 'packs', 'ab', 'x.pack')).toString(8)).toBe('600');
    expect(mode(path.join(root, 'config.json')).toString(8)).toBe('600');
    for (const dir of ['', 'packs', 'packs/ab', 'tmp']) expect(mode(path.join(root, dir)).toString(8), `dir ${dir || '<root>'}`).toBe('700');
  });

  it('writes nothing under the object key and leaves no temp file when the rename fails', async () => {
    const root = path.join(tempDir(), 'store');
    const b = new FsBackend(root);
    await b.put('warmup', Buffer.from('creates tmp/'));
    // A non-empty directory where the object file should go: the temp file is written and
    // fsynced, then the rename into place fails.
    fs.mkdirSync(path.join(root, 'packs', 'ab', 'x.pack', 'blocker'), { recursive: true });
    const err = await b.put('packs/ab/x.pack', Buffer.from('data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendIoError);
    expect((err as BackendIoError).code).toBe('BACKEND_IO');
    expect((err as BackendIoError).data).toMatchObject({ operation: 'put', name: 'packs/ab/x.pack' });
    expect(filesIn(path.join(root, 'tmp'))).toEqual([]);
    const listed: string[] = [];
    for await (const o of b.list('')) listed.push(o.key);
    expect(listed).toEqual(['warmup']);
    await b.close();
  });

  it('leaves no temp file and no object when the target directory cannot be created', async () => {
    const root = path.join(tempDir(), 'store');
    const b = new FsBackend(root);
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'packs'), 'a file where a directory must go');
    const err = await b.put('packs/ab/x.pack', Buffer.from('data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendIoError);
    expect(filesIn(path.join(root, 'tmp'))).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'packs'), 'utf8')).toBe('a file where a directory must go');
    const listed: string[] = [];
    for await (const o of b.list('packs/')) listed.push(o.key);
    expect(listed).toEqual([]);
    await b.close();
  });

  it('does not list or read temporary files left by a killed writer', async () => {
    const root = path.join(tempDir(), 'store');
    const b = new FsBackend(root);
    await b.put('a', Buffer.from('a'));
    fs.writeFileSync(path.join(root, 'tmp', '123-abcdef.tmp'), 'half a pack');
    const listed: string[] = [];
    for await (const o of b.list('')) listed.push(o.key);
    expect(listed).toEqual(['a']);
    await b.close();
  });

  it('cleanTemporary removes only temp files older than the limit', async () => {
    const root = path.join(tempDir(), 'store');
    const b = new FsBackend(root);
    await b.put('keep/me', Buffer.from('an object, never a temp file'));
    const tmp = path.join(root, 'tmp');
    const now = Date.now();
    const ages: Record<string, number> = { 'old-1.tmp': 2 * 3_600_000, 'old-2.tmp': 3_600_000 + 60_000, 'young.tmp': 3_600_000 - 60_000, 'fresh.tmp': 0 };
    for (const [name, ageMs] of Object.entries(ages)) {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, name);
      const t = (now - ageMs) / 1000;
      fs.utimesSync(file, t, t);
    }
    expect(b.cleanTemporary(3_600_000, now)).toBe(2);
    expect(filesIn(tmp).sort()).toEqual(['fresh.tmp', 'young.tmp']);
    expect(b.cleanTemporary(30_000, now)).toBe(1);
    expect(filesIn(tmp)).toEqual(['fresh.tmp']);
    expect(Buffer.from(await b.get('keep/me')).toString()).toBe('an object, never a temp file');
    expect(new FsBackend(path.join(root, 'absent')).cleanTemporary(0)).toBe(0);
    await b.close();
  });

  it('reads objects written by another instance on the same directory', async () => {
    const root = path.join(tempDir(), 'store');
    const writer = new FsBackend(root);
    const reader = new FsBackend(root, { maxOpenFiles: 1 });
    for (let i = 0; i < 5; i++) await writer.put(`o/${i}`, Buffer.from(`object ${i}`));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5; i++) expect(Buffer.from(await reader.getRange(`o/${i}`, 7, 10)).toString()).toBe(String(i));
    }
    await writer.close();
    await reader.close();
  });

  it('keeps writing after another process removed a directory it had created', async () => {
    const root = path.join(tempDir(), 'store');
    const b = new FsBackend(root);
    await b.put('packs/ab/one', Buffer.from('first'));
    fs.rmSync(path.join(root, 'packs'), { recursive: true });
    fs.rmSync(path.join(root, 'tmp'), { recursive: true });
    await b.put('packs/ab/two', Buffer.from('second'));
    expect(Buffer.from(await b.get('packs/ab/two')).toString()).toBe('second');
    await b.close();
  });
});
