/**
 * Garbage collection in one process: forget + collect leaves exactly the chunks the
 * retained snapshots reach, every retained snapshot verifies and restores; a dry run
 * changes nothing; a writer that started before the collection and relied on a condemned
 * chunk rescues it when it commits (and without that confirmation the snapshot would
 * break: shown too); the sweep waits for older writers; dead snapshot roots never come back
 * through an index rebuild; an interrupted collection's journal is finished; one collection
 * runs at a time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { KIND_DATA, repairLocalIndex, verifyStore } from '../../src/cas/index.js';
import { LockedError } from '../../src/errors/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import { acquireMaintenanceLock, collectGarbage, forgetAgent, forgetByPolicy, forgetSnapshots } from '../../src/gc/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { KIND_OBJECT, KIND_SNAPSHOT, Repository, rebuildCatalog, walkReachable, writeSnapshot, writeTree, type SnapshotInfo } from '../../src/snapshot/index.js';
import { createAgentFixture, mutateAgent } from '../helpers/agent-fixture.js';
import { pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-gc-');

function indexedIds(repo: Repository): Set<ContentId> {
  return new Set([KIND_DATA, KIND_OBJECT, KIND_SNAPSHOT].flatMap((k) => repo.chunks.index.idsOfKind(k)));
}

async function reachableIds(repo: Repository): Promise<Set<ContentId>> {
  const seen = new Set<ContentId>();
  await walkReachable(repo, repo.catalog.list().map((s) => s.id), (id) => (seen.has(id) ? false : (seen.add(id), true)));
  return seen;
}

function packFiles(storeDir: string): string[] {
  const root = path.join(storeDir, 'packs');
  return fs.existsSync(root) ? fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort() : [];
}

/** A local store with one agent captured `turns + 1` times (each turn changes notes and databases). */
async function storeWithHistory(turns: number, seed = 1): Promise<{ repo: Repository; storeDir: string; snaps: SnapshotInfo[]; root: string }> {
  const root = tempDir();
  const storeDir = path.join(root, 'store');
  const repo = await Repository.init(storeDir, { packTargetBytes: 256 << 10 });
  const fx = createAgentFixture(path.join(root, 'fx'), { seed, notes: 20 });
  const snaps: SnapshotInfo[] = [];
  for (let i = 0; i <= turns; i++) {
    if (i > 0) mutateAgent(fx, 120);
    snaps.push((await captureAgent(repo, { dir: fx.dir, agent: 'a', git: false })).snapshot);
  }
  return { repo, storeDir, snaps, root };
}

describe('collectGarbage', () => {
  it('after forget, keeps exactly what retained snapshots reach; they verify and restore', async () => {
    const { repo, storeDir, snaps, root } = await storeWithHistory(5);
    const restoredBefore = path.join(root, 'before');
    await restoreSnapshot(repo, { snapshot: snaps[4]!.id, target: restoredBefore });
    const forgot = forgetByPolicy(repo, { keepLast: 2 });
    expect(forgot.removed).toBe(4);
    const before = repo.chunks.stats();

    const report = await collectGarbage(repo, { repackThreshold: 0.6 });
    expect(report.dryRun).toBe(false);
    expect(report.roots.snapshots).toBe(2);
    expect(report.chunks.unreferenced).toBeGreaterThan(0);
    expect(report.chunks.deferred).toBe(0);
    expect(report.bytes.after).toBeLessThan(before.packBytes);
    expect(report.packs.deleted + report.packs.rewritten).toBeGreaterThan(0);
    expect(indexedIds(repo)).toEqual(await reachableIds(repo));
    expect(packFiles(storeDir)).toHaveLength(repo.chunks.stats().packs);

    expect((await verifySnapshots(repo)).ok).toBe(true);
    expect((await verifyStore(repo.chunks)).ok).toBe(true);
    const restored = path.join(root, 'after');
    await restoreSnapshot(repo, { snapshot: snaps[4]!.id, target: restored });
    for (const rel of fs.readdirSync(restoredBefore, { recursive: true }) as string[]) {
      const a = path.join(restoredBefore, rel);
      if (fs.lstatSync(a).isFile()) expect(fs.readFileSync(path.join(restored, rel)).equals(fs.readFileSync(a)), rel).toBe(true);
    }
    // A second run finds nothing more to do.
    const again = await collectGarbage(repo, { repackThreshold: 0.6 });
    expect(again.chunks.unreferenced).toBe(0);
    expect(again.packs.deleted + again.packs.rewritten).toBe(0);
    await repo.close();
  });

  it('dry run reports what would go and changes nothing', async () => {
    const { repo, storeDir, snaps } = await storeWithHistory(3, 2);
    forgetSnapshots(repo, [snaps[0]!.id, snaps[1]!.id]);
    const files = packFiles(storeDir);
    const stats = repo.chunks.stats();
    const dry = await collectGarbage(repo, { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(packFiles(storeDir)).toEqual(files);
    expect(repo.chunks.stats()).toEqual(stats);
    const real = await collectGarbage(repo);
    expect(real.chunks.unreferenced).toBe(dry.chunks.unreferenced);
    expect(real.chunks.unreferencedBytes).toBe(dry.chunks.unreferencedBytes);
    expect(real.packs.deleted).toBe(dry.packs.deleted);
    expect(real.packs.rewritten).toBe(dry.packs.rewritten);
    // The dry run's plan names the packs the real run then handled.
    expect(dry.plan.map((p) => [p.pack, p.action]).sort()).toEqual(real.plan.map((p) => [p.pack, p.action]).sort());
    expect(dry.plan.length).toBeGreaterThan(0);
    for (const p of dry.plan) if (p.action === 'delete') expect(p.liveBytes).toBe(0);
    await repo.close();
  });

  it('a writer that started first rescues the condemned chunks it relied on when it commits', async () => {
    const root = tempDir();
    const repo = await Repository.init(path.join(root, 'store'));
    const oldData = pseudoRandomBytes(11, 50_000);
    const oldId = await commitFileSnapshot(repo, 'a', oldData, null);
    const head = await commitFileSnapshot(repo, 'a', pseudoRandomBytes(12, 50_000), oldId);
    forgetSnapshots(repo, [oldId]);

    // Starts before the collection and finds the (now unreferenced) chunk present.
    const early = repo.chunks.createWriter();
    expect((await early.put(oldData)).stored).toBe(false);
    const gc = await collectGarbage(repo, { waitForWritersMs: 0 });
    expect(gc.chunks.unreferenced).toBeGreaterThan(0);
    expect(gc.chunks.deferred).toBeGreaterThan(0); // the early writer still runs: no sweep yet
    expect(repo.chunks.has(hashContent(oldData))).toBe(false);

    const revived = await commitWith(repo, early, 'a', oldData, head, { alreadyPut: true });
    early.release();
    expect(repo.chunks.has(hashContent(oldData))).toBe(true);
    await collectGarbage(repo);
    expect((await verifySnapshots(repo)).ok).toBe(true);
    expect(Buffer.from(await repo.getChunk(hashContent(oldData))).equals(oldData)).toBe(true);
    expect(repo.catalog.head('a')).toBe(revived);
    await repo.close();
  });

  it('without that confirmation the commit would leave a broken snapshot (what the rescue prevents)', async () => {
    const root = tempDir();
    const repo = await Repository.init(path.join(root, 'store'));
    const oldData = pseudoRandomBytes(21, 50_000);
    const oldId = await commitFileSnapshot(repo, 'a', oldData, null);
    const head = await commitFileSnapshot(repo, 'a', pseudoRandomBytes(22, 50_000), oldId);
    forgetSnapshots(repo, [oldId]);
    const early = repo.chunks.createWriter();
    await early.put(oldData);
    await collectGarbage(repo, { waitForWritersMs: 0 });
    await commitWith(repo, early, 'a', oldData, head, { confirm: false, alreadyPut: true });
    early.release();
    // The next collection sweeps what the snapshot needs, or refuses to run over it.
    await collectGarbage(repo).catch((err: unknown) => expect(String(err)).toMatch(/cannot be read/));
    const report = await verifySnapshots(repo);
    expect(report.ok).toBe(false);
    // What is missing: the data chunk, or the tree naming it (condemned too, and also relied on).
    expect(report.damage.length).toBeGreaterThan(0);
    expect(report.damage.every((d) => d.code === 'NOT_FOUND')).toBe(true);
    await repo.close();
  });

  it('waits for writers older than the condemnation before sweeping', async () => {
    const { repo, snaps } = await storeWithHistory(2, 3);
    forgetSnapshots(repo, [snaps[0]!.id]);
    const early = repo.chunks.createWriter();
    const started = Date.now();
    setTimeout(() => early.release(), 300);
    const report = await collectGarbage(repo, { waitForWritersMs: 10_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(report.chunks.deferred).toBe(0);
    expect(report.roots.writersInFlight).toBe(1);
    expect((await verifySnapshots(repo)).ok).toBe(true);
    await repo.close();
  });

  it('rewrites packs holding a dead snapshot root, so an index rebuild cannot bring it back', async () => {
    const { repo, storeDir, snaps } = await storeWithHistory(3, 4);
    forgetSnapshots(repo, [snaps[1]!.id, snaps[2]!.id]);
    await collectGarbage(repo, { repackThreshold: 0 });
    await repo.close();
    await repairLocalIndex(storeDir);
    const reopened = await Repository.open(storeDir);
    await rebuildCatalog(reopened);
    expect(reopened.catalog.list().map((s) => s.id).sort()).toEqual([snaps[0]!.id, snaps[3]!.id].sort());
    expect((await verifySnapshots(reopened)).ok).toBe(true);
    await reopened.close();
  });

  it('rewrites sparse packs, copying live chunks verified and unchanged', async () => {
    const { repo, storeDir, snaps } = await storeWithHistory(4, 5);
    forgetSnapshots(repo, snaps.slice(0, 4).map((s) => s.id));
    const report = await collectGarbage(repo, { repackThreshold: 1 });
    expect(report.packs.rewritten).toBeGreaterThan(0);
    expect(report.packs.written).toBeGreaterThan(0);
    expect(report.packs.written).toBeLessThanOrEqual(report.packs.rewritten);
    expect((await verifyStore(repo.chunks)).ok).toBe(true);
    expect((await verifySnapshots(repo)).ok).toBe(true);
    expect(packFiles(storeDir)).toHaveLength(repo.chunks.stats().packs);
    await repo.close();
  });

  it('leaves a pack with a damaged live chunk as it is, reports it, and rewrites the others', async () => {
    const { repo, storeDir, snaps } = await storeWithHistory(4, 10);
    forgetSnapshots(repo, snaps.slice(0, 4).map((s) => s.id));
    const dry = await collectGarbage(repo, { dryRun: true, repackThreshold: 1 });
    const reachable = await reachableIds(repo);
    const victim = dry.plan.find((p) => p.action === 'rewrite' && repo.chunks.index.chunksInPack(p.pack).some((l) => reachable.has(l.id) && l.storedLength > 8))!;
    const live = repo.chunks.index.chunksInPack(victim.pack).find((l) => reachable.has(l.id) && l.storedLength > 8)!;
    const file = path.join(storeDir, 'packs', victim.pack.slice(0, 2), `${victim.pack}.pack`);
    const bytes = fs.readFileSync(file);
    bytes[live.offset + 48 + 2]! ^= 0x40; // inside the payload
    fs.writeFileSync(file, bytes);

    const report = await collectGarbage(repo, { repackThreshold: 1 });
    expect(report.damagedPacks).toEqual([{ pack: victim.pack, chunk: live.id, reason: expect.any(String) }]);
    expect(report.packs.rewritten).toBeGreaterThan(0);
    expect(fs.existsSync(file)).toBe(true);
    expect(repo.chunks.locate(live.id)!.pack).toBe(victim.pack);
    await repo.close();
  });

  it('finishes the journal of an interrupted collection', async () => {
    const { repo, storeDir } = await storeWithHistory(1, 6);
    const db = repo.chunks.index.database;
    // A rewrite's new pack that was written but never indexed, and a journaled deletion.
    const orphan = 'ab'.repeat(32);
    await repo.chunks.backend.put(`packs/ab/${orphan}.pack`, Buffer.from('partial'));
    db.prepare(`INSERT INTO gc_journal (pack, action, created_ms) VALUES (?, 'write', 0)`).run(orphan);
    // An indexed pack with a stale 'write' row must survive.
    const live = repo.chunks.index.packs()[0]!.name;
    db.prepare(`INSERT INTO gc_journal (pack, action, created_ms) VALUES (?, 'write', 0)`).run(live);
    const report = await collectGarbage(repo);
    expect(report.recoveredPacks).toBe(1);
    expect(packFiles(storeDir)).not.toContain(`${orphan}.pack`);
    expect(packFiles(storeDir)).toContain(`${live}.pack`);
    expect(db.prepare(`SELECT count(*) FROM gc_journal`).pluck().get()).toBe(0);
    await repo.close();
  });

  it('removes the mark directory a killed collection left behind', async () => {
    const { repo, storeDir } = await storeWithHistory(0, 9);
    const stale = path.join(storeDir, 'tmp', 'memsnap-gc-mark-stale1');
    fs.mkdirSync(stale, { recursive: true });
    fs.writeFileSync(path.join(stale, 'mark.sqlite'), Buffer.alloc(4096));
    await collectGarbage(repo);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readdirSync(path.join(storeDir, 'tmp')).filter((n) => n.startsWith('memsnap-gc-mark-'))).toEqual([]);
    await repo.close();
  });

  it('runs one at a time, and takes over the lock of a dead collector', async () => {
    const { repo } = await storeWithHistory(0, 7);
    const db = repo.chunks.index.database;
    const held = acquireMaintenanceLock(db);
    await expect(collectGarbage(repo)).rejects.toThrow(LockedError);
    held.release();
    db.prepare(`UPDATE maintenance_lock SET pid = 2147483646`).run(); // no such process
    db.prepare(`INSERT INTO maintenance_lock (name, host, pid, started_ms) VALUES ('gc', ?, 2147483646, 0)`).run((await import('node:os')).hostname());
    await expect(collectGarbage(repo)).resolves.toMatchObject({ dryRun: false });
    await repo.close();
  });

  it('forgetting an agent frees everything only it used; its head cannot be forgotten alone', async () => {
    const { repo, snaps } = await storeWithHistory(1, 8);
    expect(() => forgetSnapshots(repo, [snaps[1]!.id])).toThrow(/latest of agent a/);
    expect(forgetAgent(repo, 'a')).toBe(2);
    expect(repo.catalog.agents()).toEqual([]);
    await collectGarbage(repo);
    expect(repo.chunks.stats()).toMatchObject({ chunks: 0, packs: 0 });
    await repo.close();
  });
});

/** Commits a snapshot of one file holding `data` for `agent` on `parent` (own writer). */
async function commitFileSnapshot(repo: Repository, agent: string, data: Buffer, parent: ContentId | null): Promise<ContentId> {
  const writer = repo.chunks.createWriter();
  try {
    return await commitWith(repo, writer, agent, data, parent);
  } finally {
    writer.release();
  }
}

/**
 * Writes tree and root with `writer` and commits them (confirming references unless told
 * not to). With `alreadyPut`, the data chunk is referenced as the writer put it earlier.
 */
async function commitWith(
  repo: Repository,
  writer: ReturnType<Repository['chunks']['createWriter']>,
  agent: string,
  data: Buffer,
  parent: ContentId | null,
  options: { confirm?: boolean; alreadyPut?: boolean } = {},
): Promise<ContentId> {
  // A writer that already put the data (before a collection) refers to it without a new put.
  const chunk = options.alreadyPut ? hashContent(data) : (await writer.put(data)).id;
  const tree = await writeTree(writer, [{ name: 'f', kind: 'file', mode: 0o644, mtimeNs: '0', content: { size: data.length, chunks: [[chunk, data.length]] } }]);
  const sources = { memdir: { tree }, state: {}, fields: {} };
  const timeMs = Date.now();
  const id = await writeSnapshot(writer, { agent, parent, timeMs, kind: 'manual', tags: [], message: '', sources, totals: { files: 1, dirs: 0, symlinks: 0, databases: 0, bytes: data.length } });
  await writer.flush();
  repo.catalog.commit(
    { id, agent, parent, expectedParent: parent, timeMs, kind: 'manual', tags: [], message: '', bytes: data.length, sourcesDigest: id, idempotencyKey: null },
    () => {
      if (options.confirm !== false) writer.confirmReferences();
    },
  );
  return id;
}
