/**
 * Regression: a reader SQLite starts on read-lock 0 (after a full checkpoint) does not stop
 * another writer from restarting the WAL; frames read after that would be another
 * generation's. Capture must notice and fall back, never store a wrong image.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteReadCut, captureDatabaseImage, type ContentSink } from '../../src/capture/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-walrestart-');

function memorySink(onPut: () => void): { sink: ContentSink; store: Map<string, Uint8Array> } {
  const store = new Map<string, Uint8Array>();
  const sink = {
    async putWithId(id: ContentId, bytes: Uint8Array) {
      store.set(id, Buffer.from(bytes));
      onPut();
      return { id, stored: true };
    },
    async put(bytes: Uint8Array) {
      const id = hashContent(bytes);
      store.set(id, Buffer.from(bytes));
      return { id, stored: true };
    },
    prefetchPresence() {},
  } as unknown as ContentSink;
  return { sink, store };
}

describe('a WAL restarted while a capture reads it', () => {
  it('never yields an image different from serialize()', async () => {
    const file = path.join(tempDir(), 'mem.db');
    const w = new Database(file);
    w.pragma('journal_mode = WAL');
    w.pragma('wal_autocheckpoint = 0');
    w.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, t TEXT)');
    const ins = w.prepare('INSERT INTO m(t) VALUES (?)');
    w.transaction(() => {
      for (let i = 0; i < 400; i++) ins.run('a'.repeat(200));
    })();
    w.pragma('wal_checkpoint(TRUNCATE)');
    let trigger: (() => void) | undefined;
    const { sink, store } = memorySink(() => {
      const t = trigger;
      trigger = undefined;
      t?.();
    });
    let cut = SqliteReadCut.open(file);
    const first = await captureDatabaseImage(cut, sink, 'pages-v1-4k', undefined);
    cut.close();
    w.prepare('UPDATE m SET t = ? WHERE id % 40 = 1').run('b'.repeat(200));
    w.pragma('wal_checkpoint(PASSIVE)'); // fully backfilled: the next reader takes read-lock 0
    cut = SqliteReadCut.open(file);
    try {
      const expected = cut.image();
      // Another writer commits (and restarts the WAL) in the middle of the capture.
      trigger = () => void w.prepare('UPDATE m SET t = ? WHERE id % 2 = 0').run('c'.repeat(200));
      const second = await captureDatabaseImage(cut, sink, 'pages-v1-4k', first.state);
      const got = Buffer.concat(second.state.chunkIds.map((id) => store.get(id)!));
      expect(got.equals(expected)).toBe(true);
    } finally {
      cut.close();
      w.close();
    }
  });
});
