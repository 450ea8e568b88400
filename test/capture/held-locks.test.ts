/**
 * POSIX record locks belong to (process, file): closing any descriptor of a database drops
 * every lock this process holds on it. While a capture holds its read transaction, none of
 * memsnap's own raw reads of the database may let another process write.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteReadCut, captureDatabaseImage, heldCount, looksLikeSqlite, readWalIndexHeader, type ContentSink } from '../../src/capture/index.js';
import * as fs from 'node:fs';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-locks-');

/** Tries to write from another process without waiting; returns whether it succeeded. */
function otherProcessCanWrite(file: string): boolean {
  const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)}, { timeout: 0 });
    try { db.prepare('INSERT INTO t VALUES (1)').run(); process.stdout.write('wrote'); } catch (e) { process.stdout.write(e.code); }`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: path.resolve('.'), encoding: 'utf8' });
  return r.stdout === 'wrote';
}

const sink = {
  async putWithId(id: ContentId) {
    return { id, stored: true };
  },
  async put(bytes: Uint8Array) {
    return { id: hashContent(bytes), stored: true };
  },
  prefetchPresence() {},
} as unknown as ContentSink;

describe('a capture holding a rollback-mode database', () => {
  it('keeps other writers out through its own header sniff and direct read', async () => {
    const file = path.join(tempDir(), 'rollback.db');
    const setup = new Database(file);
    setup.pragma('journal_mode = DELETE');
    setup.exec('CREATE TABLE t (v INTEGER)');
    setup.close();
    expect(otherProcessCanWrite(file)).toBe(true);
    const cut = SqliteReadCut.open(file);
    try {
      expect(otherProcessCanWrite(file)).toBe(false);
      expect(looksLikeSqlite(file, 4096)).toBe(true);
      readWalIndexHeader(file);
      expect(otherProcessCanWrite(file)).toBe(false);
      const captured = await captureDatabaseImage(cut, sink, 'pages-v1-4k', undefined);
      expect(captured.way).toBe('direct');
      expect(otherProcessCanWrite(file)).toBe(false);
    } finally {
      cut.close();
    }
    expect(otherProcessCanWrite(file)).toBe(true);
  });

describe('held descriptors', () => {
  it('are kept only for databases, not for the ordinary files a capture sniffs', () => {
    const dir = tempDir();
    const before = heldCount();
    for (let i = 0; i < 50; i++) {
      const file = path.join(dir, `note-${i}.md`);
      fs.writeFileSync(file, 'x'.repeat(1000));
      expect(looksLikeSqlite(file, 1000)).toBe(false);
    }
    expect(heldCount()).toBe(before);
  });
});
});
