import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initLocalStore, openLocalStore, verifyStore } from '../../src/cas/index.js';

describe('local store round trip', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('stores, deduplicates, reads back and verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memsnap-'));
    dirs.push(dir);
    const store = await initLocalStore(dir);
    const writer = store.createWriter();
    const a = await writer.put(Buffer.from('hello agent memory'.repeat(100)));
    const b = await writer.put(Buffer.from('hello agent memory'.repeat(100)));
    expect(a.stored).toBe(true);
    expect(b).toEqual({ id: a.id, stored: false });
    await writer.flush();
    await store.close();
    const reopened = await openLocalStore(dir);
    expect(Buffer.from(await reopened.get(a.id)).toString()).toBe('hello agent memory'.repeat(100));
    const report = await verifyStore(reopened);
    expect(report).toMatchObject({ ok: true, packsChecked: 1, chunksChecked: 1 });
    await reopened.close();
  });
});
