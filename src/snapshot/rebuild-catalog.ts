/**
 * Rebuilds the snapshot catalog and refs from the snapshot roots in the packs, after the
 * index was lost or damaged. Snapshot roots are stored with their own chunk kind so they
 * can be found without any catalog.
 *
 * What comes back: every snapshot (agent, parent, time, kind, tags, message, sizes), each
 * agent's head (the newest snapshot no other snapshot of that agent names as parent), and,
 * for agents that have no fields left, the fields recorded in their head snapshot. What
 * cannot come back: idempotency keys (they live only in the catalog), field changes made
 * after the head was captured, and capture caches (the next capture reads everything).
 */
import type { ContentId } from '../hash/index.js';
import type { ProgressCallback } from '../cas/index.js';
import { KIND_SNAPSHOT } from './object-store.js';
import type { Repository } from './repository.js';
import { sourcesDigest, type Snapshot } from './snapshot-object.js';

/** What a catalog rebuild recovered. */
export interface CatalogRebuildReport {
  readonly snapshots: number;
  readonly agents: number;
  /** Agents whose fields were taken from their head snapshot. */
  readonly fieldsRestored: string[];
  /** Snapshot roots that could not be read (damaged); left out. */
  readonly unreadable: ContentId[];
}

/** Re-derives catalog rows, heads and missing fields from the packs. Existing rows are kept. */
export async function rebuildCatalog(repo: Repository, onProgress?: ProgressCallback): Promise<CatalogRebuildReport> {
  const ids = repo.chunks.index.idsOfKind(KIND_SNAPSHOT);
  const roots = new Map<ContentId, Snapshot>();
  const unreadable: ContentId[] = [];
  for (const [i, id] of ids.entries()) {
    try {
      roots.set(id, await repo.readSnapshot(id));
    } catch {
      unreadable.push(id);
    }
    onProgress?.({ phase: 'rebuild catalog', done: i + 1, total: ids.length, unit: 'snapshots' });
  }
  const seq = new Map<ContentId, number>();
  const seqOf = (id: ContentId): number => {
    // Iterative walk up the parent chain: histories can be long.
    const chain: ContentId[] = [];
    let cur: ContentId | null = id;
    while (cur && !seq.has(cur) && roots.has(cur)) {
      chain.push(cur);
      cur = roots.get(cur)!.parent;
    }
    let n = cur && seq.has(cur) ? seq.get(cur)! : 0;
    for (let i = chain.length - 1; i >= 0; i--) seq.set(chain[i]!, ++n);
    return seq.get(id)!;
  };
  const parents = new Set([...roots.values()].map((s) => s.parent).filter((p): p is ContentId => p !== null));
  const heads = new Map<string, { id: ContentId; s: Snapshot }>();
  const fieldsRestored: string[] = [];
  repo.catalog.inTransaction(() => {
    for (const [id, s] of roots) {
      repo.catalog.insertRecovered({ id, agent: s.agent, parent: s.parent, seq: seqOf(id), timeMs: s.timeMs, kind: s.kind, tags: [...new Set(s.tags)].sort(), message: s.message, bytes: s.totals?.bytes ?? 0, sourcesDigest: sourcesDigest(s.sources) });
      if (parents.has(id)) continue;
      const best = heads.get(s.agent);
      if (!best || s.timeMs > best.s.timeMs || (s.timeMs === best.s.timeMs && seqOf(id) > seqOf(best.id))) heads.set(s.agent, { id, s });
    }
    for (const [agent, { id, s }] of heads) {
      if (repo.catalog.head(agent) === null) repo.catalog.setHead(agent, id);
      if (Object.keys(repo.catalog.loadAllFields(agent)).length === 0 && Object.keys(s.sources.fields).length > 0) {
        repo.catalog.saveAllFields(agent, s.sources.fields);
        fieldsRestored.push(agent);
      }
    }
  });
  return { snapshots: roots.size, agents: heads.size, fieldsRestored, unreadable };
}
