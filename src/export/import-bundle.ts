/**
 * Import: verify a bundle while writing its objects into a store, then make its snapshots
 * visible in one transaction.
 *
 * Objects go through one chunk writer (which skips what the store already holds). Nothing
 * becomes visible until the whole bundle has been read and verified: only then, in one
 * IMMEDIATE transaction, does the writer confirm its references (the hook GC relies on),
 * catalog rows are inserted and heads move. A failed import leaves no row and no ref, at
 * worst unreferenced chunks in packs for GC. An incremental bundle is refused before any
 * write when the store lacks what its bases provide.
 *
 * Numbers: a snapshot's `seq` is 1 + its parent's (1 without a known parent), as a catalog
 * rebuild derives it; when ancestors arrive after a descendant, the agent's numbers are
 * brought back in line in the same transaction.
 *
 * Heads: for each agent in the bundle, its bundle head is the newest imported snapshot no
 * other imported snapshot names as parent. The local head is set to it when the agent has
 * no head here (`created`) or when the local head is an ancestor of it (`fast-forward`);
 * it stays when it already is that snapshot or a descendant of it (`unchanged`), and
 * otherwise the histories diverged: the local head stays and the result says so
 * (`diverged`; the imported snapshots are still in the catalog, by id). An agent created
 * by the import also gets the key/value fields its new head recorded, as a catalog
 * rebuild restores them; existing agents' fields are never touched.
 */
import type { Readable } from 'node:stream';
import type { ContentId } from '../hash/index.js';
import type { ChunkWriter } from '../cas/index.js';
import { KIND_DATA } from '../cas/index.js';
import { KIND_OBJECT, KIND_SNAPSHOT, type JsonValue, type Repository, type SnapshotInfo } from '../snapshot/index.js';
import type { BundleSnapshot } from './bundle-checker.js';
import { MissingBaseError } from '../errors/index.js';
import { readBundle, type ReadBundleOptions } from './bundle-reader.js';
import type { BundleEntryKind, BundleManifest } from './bundle-format.js';

/** Options of {@link importBundle}. */
export type ImportOptions = ReadBundleOptions;

/** How an agent's head was treated. */
export interface ImportedRef {
  readonly agent: string;
  /** The newest imported snapshot of this agent. */
  readonly bundleHead: ContentId;
  /** The agent's head after the import. */
  readonly head: ContentId;
  /** The head before the import, or null. */
  readonly previousHead: ContentId | null;
  readonly action: 'created' | 'fast-forward' | 'unchanged' | 'diverged';
  /** Whether the agent, new here and without fields, got the fields its new head recorded. */
  readonly fieldsRestored: boolean;
}

/** What an import did. */
export interface ImportResult {
  readonly manifest: BundleManifest;
  /** Catalog rows of the bundle's snapshots, in manifest order. */
  readonly snapshots: SnapshotInfo[];
  readonly refs: ImportedRef[];
  readonly entries: number;
  readonly chunksStored: number;
  readonly chunksDeduplicated: number;
  /** Raw bytes newly stored (the rest was already in the store). */
  readonly bytesStored: number;
  readonly encrypted: boolean;
}

const KIND_BYTE: Record<BundleEntryKind, number> = { snapshot: KIND_SNAPSHOT, tree: KIND_OBJECT, list: KIND_OBJECT, chunk: KIND_DATA };

/**
 * Imports a bundle into `repo` (see the module comment).
 * @throws MissingBaseError, and whatever {@link readBundle} throws; refs are untouched then.
 */
export async function importBundle(repo: Repository, input: Readable, options: ImportOptions = {}): Promise<ImportResult> {
  let writer: ChunkWriter | undefined;
  try {
    const read = await readBundle(
      input,
      {
        manifest: (manifest, external) => {
          writer = repo.chunks.createWriter();
          // The base's objects the imported snapshots lean on: pinned first, so a collection
          // running meanwhile keeps them and all they reach; then checked present.
          writer.pin(external);
          writer.prefetchPresence(external);
          let missing = 0;
          for (const id of external) if (!writer.has(id)) missing++;
          if (missing > 0) throw new MissingBaseError(manifest.bases, missing);
        },
        entry: async (kind, id, bytes) => {
          await writer!.putWithId(id, bytes, KIND_BYTE[kind]);
        },
      },
      options,
    );
    const w = writer!;
    await w.flush();
    const heads = bundleHeads(read.manifest.snapshots, read.snapshots);
    // Agents new here get the key/value fields of their newest imported snapshot, as a
    // catalog rebuild gives them (read now: the commit below is synchronous).
    const fields = new Map<string, Readonly<Record<string, JsonValue>>>();
    for (const [agent, id] of heads) if (repo.catalog.head(agent) === null) fields.set(agent, (await repo.readSnapshot(id)).sources.fields);
    const { snapshots, refs } = repo.catalog.inTransaction(() => {
      w.confirmReferences();
      return recordSnapshots(repo, read.manifest.snapshots, read.snapshots, heads, fields);
    });
    await w.close();
    return {
      manifest: read.manifest,
      snapshots,
      refs,
      entries: read.entries,
      chunksStored: w.stats.chunksStored,
      chunksDeduplicated: w.stats.chunksDeduplicated,
      bytesStored: w.stats.bytesStored,
      encrypted: read.encrypted,
    };
  } finally {
    writer?.release();
  }
}

/** Inserts catalog rows (seq from the parent chain, as a catalog rebuild derives it), moves heads, gives new agents their fields. Runs inside the import's transaction. */
function recordSnapshots(
  repo: Repository,
  order: readonly ContentId[],
  roots: ReadonlyMap<ContentId, BundleSnapshot>,
  heads: ReadonlyMap<string, ContentId>,
  fields: ReadonlyMap<string, Readonly<Record<string, JsonValue>>>,
): { snapshots: SnapshotInfo[]; refs: ImportedRef[] } {
  const catalog = repo.catalog;
  // Rows go in unnumbered; renumber() then derives every seq of these agents from the parent chain.
  for (const id of order) catalog.insertRecovered({ ...roots.get(id)!, seq: 0 });
  renumber(repo, new Set([...roots.values()].map((s) => s.agent)));
  const refs: ImportedRef[] = [];
  for (const [agent, bundleHead] of [...heads].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const previousHead = catalog.head(agent);
    let action: ImportedRef['action'];
    if (previousHead === null) action = 'created';
    else if (previousHead === bundleHead || isAncestor(repo, bundleHead, previousHead)) action = 'unchanged';
    else if (isAncestor(repo, previousHead, bundleHead)) action = 'fast-forward';
    else action = 'diverged';
    if (action === 'created' || action === 'fast-forward') catalog.setHead(agent, bundleHead);
    const given = fields.get(agent);
    const fieldsRestored = action === 'created' && given !== undefined && Object.keys(given).length > 0 && Object.keys(catalog.loadAllFields(agent)).length === 0;
    if (fieldsRestored) catalog.saveAllFields(agent, given);
    refs.push({ agent, bundleHead, head: catalog.head(agent)!, previousHead, action, fieldsRestored });
  }
  return { snapshots: order.map((id) => catalog.get(id)!), refs };
}

/**
 * Each agent's newest snapshot in the bundle: among those no other bundled snapshot names
 * as parent, the latest by time (ties: the later in the manifest).
 */
function bundleHeads(order: readonly ContentId[], roots: ReadonlyMap<ContentId, BundleSnapshot>): Map<string, ContentId> {
  const parents = new Set([...roots.values()].map((s) => s.parent));
  const heads = new Map<string, ContentId>();
  for (const id of order) {
    if (parents.has(id)) continue;
    const s = roots.get(id)!;
    const best = heads.get(s.agent);
    if (best === undefined || s.timeMs >= roots.get(best)!.timeMs) heads.set(s.agent, id);
  }
  return heads;
}

/**
 * Makes every `seq` of `agents` follow the parent chain again (1 + the parent's, 1 without a
 * known parent), as a catalog rebuild would number them. Needed when an import brings the
 * ancestors of snapshots that arrived earlier without them: those were numbered from 1.
 * Runs inside the import's transaction, on the catalog's own connection; rows already
 * consistent (every capture's) are left untouched.
 */
function renumber(repo: Repository, agents: ReadonlySet<string>): void {
  const db = repo.chunks.index.database;
  const rows = db.prepare(`SELECT id, parent, seq FROM snapshots WHERE agent = ?`);
  const update = db.prepare(`UPDATE snapshots SET seq = ? WHERE id = ?`);
  for (const agent of agents) {
    const all = rows.all(agent) as { id: string; parent: string | null; seq: number }[];
    const byId = new Map(all.map((r) => [r.id, r]));
    const want = new Map<string, number>();
    for (const r of all) {
      // Iterative walk up to a numbered ancestor or the root: histories can be long.
      const chain: string[] = [];
      let cur: typeof r | undefined = r;
      while (cur && !want.has(cur.id)) {
        chain.push(cur.id);
        cur = cur.parent === null ? undefined : byId.get(cur.parent);
        if (chain.length > all.length) break; // a cycle cannot come from hashes; never loop anyway
      }
      let n = cur ? want.get(cur.id) ?? 0 : 0;
      for (let i = chain.length - 1; i >= 0; i--) want.set(chain[i]!, ++n);
    }
    for (const r of all) if (want.get(r.id) !== r.seq) update.run(want.get(r.id), r.id);
  }
}

/** Whether `ancestor` is on the parent chain of `id` (catalog rows; the chain is walked iteratively). */
function isAncestor(repo: Repository, ancestor: ContentId, id: ContentId): boolean {
  const seen = new Set<ContentId>();
  let cur: ContentId | null = repo.catalog.get(id)?.parent ?? null;
  while (cur !== null && !seen.has(cur)) {
    if (cur === ancestor) return true;
    seen.add(cur);
    cur = repo.catalog.get(cur)?.parent ?? null;
  }
  return false;
}
