/**
 * External databases (named at capture, outside the agent directory) are matched by their
 * origin path without the leading `/`: database rules redact them, `dropPaths` leaves them
 * out with their origin, and nothing of a dropped table survives in the target's chunks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { parseRedactionRules, redactSnapshot } from '../../src/export/index.js';
import type { ContentId } from '../../src/hash/index.js';
import { contentChunks, Repository } from '../../src/snapshot/index.js';
import { createAgentFixture } from '../helpers/agent-fixture.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('redacting external databases', () => {
  let root: string;
  let repo: Repository;
  let id: ContentId;
  let origin: string;

  beforeAll(async () => {
    root = makeTempDir('memsnap-redact-ext-');
    const fx = createAgentFixture(root, { seed: 3, git: false, notes: 2 });
    origin = path.join(root, 'ext', 'outside.db');
    fs.mkdirSync(path.dirname(origin));
    const db = new Database(origin);
    db.exec(`CREATE TABLE secrets (v TEXT); INSERT INTO secrets VALUES ('EXTSECRET-QQQ-1'); CREATE TABLE keep (v TEXT); INSERT INTO keep VALUES ('ext keep row')`);
    db.close();
    repo = await Repository.init(path.join(root, 'store'), { durable: false });
    id = (await captureAgent(repo, { dir: fx.dir, databases: [origin] })).snapshot.id;
  });

  afterAll(async () => {
    await repo.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function allChunks(target: Repository): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const p of target.chunks.index.packs()) for (const loc of target.chunks.index.chunksInPack(p.name)) out.push(Buffer.from(await target.getChunk(loc.id)));
    return out;
  }

  async function redactWith(rules: unknown): Promise<{ target: Repository; report: Awaited<ReturnType<typeof redactSnapshot>> }> {
    const target = await Repository.init(fs.mkdtempSync(path.join(root, 'target-')), { durable: false });
    return { target, report: await redactSnapshot(repo, id, parseRedactionRules(rules), target) };
  }

  it('precondition: the external database and its secret are in the source', async () => {
    const snap = await repo.readSnapshot(id);
    expect(Object.values(snap.sources.databases?.origins ?? {})).toEqual([origin]);
    expect((await allChunks(repo)).some((b) => b.includes('EXTSECRET-QQQ-1'))).toBe(true);
  });

  it('applies database rules by origin path', async () => {
    const { target, report } = await redactWith({ version: 1, databases: [{ path: '**/ext/outside.db', dropTables: ['secrets'] }] });
    try {
      expect(report.tablesDropped).toEqual([`${origin.slice(1)}: secrets`]);
      const snap = await target.readSnapshot(report.id);
      expect(Object.values(snap.sources.databases!.origins)).toEqual([origin]);
      expect(snap.totals.databases).toBe(4);
      const [entry] = await target.readTree(snap.sources.databases!.tree);
      const parts: Buffer[] = [];
      for await (const [c] of contentChunks((x) => target.getChunk(x), entry!.content!)) parts.push(Buffer.from(await target.getChunk(c)));
      const db = new Database(Buffer.concat(parts));
      expect(db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all()).toEqual(['keep']);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      const chunks = await allChunks(target);
      expect(chunks.some((b) => b.includes('EXTSECRET-QQQ-1'))).toBe(false);
      expect(chunks.some((b) => b.includes('ext keep row'))).toBe(true);
    } finally {
      await target.close();
    }
  });

  it('drops an external database and its origin with dropPaths', async () => {
    const { target, report } = await redactWith({ version: 1, dropPaths: ['**/ext/*.db'] });
    try {
      const snap = await target.readSnapshot(report.id);
      expect(snap.sources.databases).toBeUndefined();
      expect(report.externalDatabasesDropped).toHaveLength(1);
      expect(snap.totals.databases).toBe(3);
      expect((await allChunks(target)).some((b) => b.includes('EXTSECRET-QQQ-1') || b.includes('ext keep row') || b.includes(origin))).toBe(false);
    } finally {
      await target.close();
    }
  });
});
