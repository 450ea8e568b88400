/**
 * Verifies snapshots from the top: reads every object and chunk reachable from each
 * snapshot (each distinct id once) and checks it against its hash. Reports which
 * snapshots and paths a damaged or missing chunk affects.
 */
import { MemsnapError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import type { ProgressCallback } from '../cas/index.js';
import { SpillingIdMap, decodeListNode, type ContentRef, type Repository, type SnapshotInfo } from '../snapshot/index.js';

/** A chunk that could not be read intact, and where it is used. */
export interface SnapshotDamage {
  readonly snapshot: ContentId;
  /** Path inside the agent directory, or `(snapshot)`/`(tree)` for metadata. */
  readonly path: string;
  readonly chunk: ContentId;
  readonly code: string;
  readonly reason: string;
}

/** The outcome of {@link verifySnapshots}. */
export interface SnapshotVerifyReport {
  readonly ok: boolean;
  readonly snapshots: number;
  /** Distinct chunks and objects read and checked. */
  readonly chunksChecked: number;
  readonly damage: SnapshotDamage[];
}

/** Checks `snapshots` (default: every snapshot in the catalog). Never throws for damage. */
export async function verifySnapshots(repo: Repository, snapshots?: readonly SnapshotInfo[], onProgress?: ProgressCallback): Promise<SnapshotVerifyReport> {
  const list = snapshots ?? repo.catalog.list();
  // Every id checked, once: on disk past a threshold, so memory stays bounded at any size.
  const checked = new SpillingIdMap();
  const failures = new Map<ContentId, string>();
  const damage: SnapshotDamage[] = [];
  let reads = 0;
  const check = async (snapshot: ContentId, path: string, id: ContentId): Promise<boolean> => {
    // Let the event loop turn now and then: the hashing addon frees its buffers only then.
    if (++reads % 4096 === 0) await new Promise((resolve) => setImmediate(resolve));
    if (!checked.has(id)) {
      checked.set(id, 0);
      try {
        await repo.getChunk(id);
      } catch (err) {
        failures.set(id, err instanceof MemsnapError ? `${err.code}\n${err.message}` : `UNKNOWN\n${String(err)}`);
      }
    }
    const failure = failures.get(id);
    if (failure === undefined) return true;
    const [code, reason] = failure.split('\n') as [string, string];
    damage.push({ snapshot, path, chunk: id, code, reason });
    return false;
  };
  const checkContent = async (snapshot: ContentId, path: string, content: ContentRef): Promise<void> => {
    for (const [id] of content.chunks ?? []) await check(snapshot, path, id);
    const stack = content.list ? [content.list] : [];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (!(await check(snapshot, path, node))) continue;
      const { level, items } = decodeListNode(node, await repo.getChunk(node));
      for (const [id] of items) {
        if (level > 0) stack.push(id);
        else await check(snapshot, path, id);
      }
    }
  };
  const walk = async (snapshot: ContentId, tree: ContentId, prefix: string): Promise<void> => {
    if (!(await check(snapshot, prefix === '' ? '(root tree)' : prefix, tree))) return;
    for (const entry of await repo.readTree(tree)) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.kind === 'dir') await walk(snapshot, entry.tree!, path);
      else if (entry.content) await checkContent(snapshot, path, entry.content);
    }
  };
  try {
    for (const [i, info] of list.entries()) {
      if (await check(info.id, '(snapshot)', info.id)) {
        const snap = await repo.readSnapshot(info.id);
        await walk(info.id, snap.sources.memdir.tree, '');
        const external = snap.sources.databases;
        if (external) await walk(info.id, external.tree, '(external databases)');
      }
      onProgress?.({ phase: 'verify', done: i + 1, total: list.length, unit: 'snapshots' });
    }
    return { ok: damage.length === 0, snapshots: list.length, chunksChecked: checked.size, damage };
  } finally {
    checked.close();
  }
}
