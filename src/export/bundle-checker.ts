/**
 * Checks a bundle's objects as they stream past, without any store: every entry hashes to
 * its id, was announced by an object before it (or is a snapshot the manifest lists), has
 * the kind (and, for data chunks, the length) it was referenced as, and comes once; at the end, everything any object
 * referenced arrived or is provided by the bases (`external-ids`), and the counts match the
 * manifest. Because the snapshot id is the hash of its root and every object names its
 * children by hash, passing these checks proves each snapshot in the bundle complete and
 * exactly as exported.
 *
 * Memory: three id maps (received; referenced but not yet received; external), each held in
 * memory up to `maxIdsInMemory` ids (~150 bytes each) and spilled to a temporary SQLite file
 * beyond, so checking is bounded in memory however many objects a bundle holds. Call
 * `close` when done.
 */
import { CorruptBundleError, CorruptChunkError, InvalidArgumentError } from '../errors/index.js';
import { hashContent, type ContentId } from '../hash/index.js';
import { assertAgentId, assertFieldKey, assertTag, decodeListNode, ObjectReader, readSnapshot, readTree, sourcesDigest, type SnapshotInfo } from '../snapshot/index.js';
import { BUNDLE_ENTRY_KINDS, MAX_ENTRY_BYTES, entryName, type BundleEntryKind, type BundleManifest } from './bundle-format.js';
import { SpillingIdMap } from '../snapshot/index.js';

/** A snapshot root of a bundle, as its catalog row will read (without seq, which depends on the store). */
export type BundleSnapshot = Omit<SnapshotInfo, 'seq' | 'idempotencyKey'>;

/** Verifies entries in stream order; see the module comment. */
export class BundleChecker {
  private readonly received: SpillingIdMap;
  private readonly expected: SpillingIdMap;
  private readonly roots: Set<ContentId>;
  private readonly external: SpillingIdMap;
  /**
   * What each snapshot root says, as a catalog row would hold it (sources only as their
   * digest: a long history's roots stay small in memory), by id.
   */
  readonly snapshots = new Map<ContentId, BundleSnapshot>();
  entries = 0;
  bytes = 0;
  private current: { id: ContentId; bytes: Uint8Array } | undefined;
  private readonly objects = new ObjectReader({
    get: async (id: ContentId) => {
      if (this.current?.id !== id) throw new Error(`internal: object ${id} read out of turn`);
      return this.current.bytes;
    },
  });

  /** @param maxIdsInMemory ids each map holds in memory before spilling to disk (default 262,144). */
  constructor(
    readonly manifest: BundleManifest,
    external: Iterable<ContentId>,
    maxIdsInMemory?: number,
  ) {
    this.roots = new Set(manifest.snapshots);
    this.received = new SpillingIdMap(maxIdsInMemory);
    this.expected = new SpillingIdMap(maxIdsInMemory);
    this.external = new SpillingIdMap(maxIdsInMemory);
    for (const id of external) this.external.set(id, 1);
  }

  /** Number of ids the bases provide. */
  get externalCount(): number {
    return this.external.size;
  }

  /** Releases the id maps (and their temporary files). Idempotent. */
  close(): void {
    for (const m of [this.received, this.expected, this.external]) m.close();
  }

  /**
   * Checks one entry and records what it references.
   * @throws CorruptBundleError naming the entry; UnsupportedVersionError for objects of unknown versions.
   */
  async accept(kind: BundleEntryKind, id: ContentId, bytes: Uint8Array): Promise<void> {
    const name = entryName(kind, id);
    if (this.received.has(id)) throw new CorruptBundleError(name, 'duplicate entry (each object comes once)');
    const actual = hashContent(bytes);
    if (actual !== id) throw new CorruptBundleError(name, `hash mismatch: content hashes to ${actual}`, undefined);
    if (kind === 'snapshot') {
      if (!this.roots.has(id)) throw new CorruptBundleError(name, 'snapshot not listed in the manifest');
    } else {
      const value = this.expected.get(id);
      if (value === undefined) throw new CorruptBundleError(name, 'unexpected entry: no object before it references it');
      const { kind: wanted, length } = decodeExpected(value);
      if (wanted !== kind) throw new CorruptBundleError(name, `referenced as a ${wanted}, sent as a ${kind}`);
      if (length !== undefined && length !== bytes.length) throw new CorruptBundleError(name, `referenced as ${length} bytes, holds ${bytes.length}`);
    }
    if (++this.entries > this.manifest.entries) throw new CorruptBundleError(name, `more entries than the ${this.manifest.entries} the manifest announces`);
    this.bytes += bytes.length;
    if (this.bytes > this.manifest.bytes) throw new CorruptBundleError(name, `more bytes than the ${this.manifest.bytes} the manifest announces`);
    for (const [childKind, child, length] of await this.children(kind, id, bytes)) this.expect(name, childKind, child, length);
    this.expected.delete(id);
    this.received.set(id, 1);
  }

  /** Checks that the bundle is complete. @throws CorruptBundleError naming what is missing. */
  finish(): void {
    for (const root of this.manifest.snapshots) if (!this.received.has(root)) throw new CorruptBundleError(entryName('snapshot', root), 'missing: the manifest lists it but the bundle ends without it (truncated?)');
    for (const [id, value] of this.expected.entries()) throw new CorruptBundleError(entryName(decodeExpected(value).kind, id), `missing: referenced but never sent (${this.expected.size} objects missing; truncated?)`);
    if (this.entries !== this.manifest.entries || this.bytes !== this.manifest.bytes) {
      throw new CorruptBundleError('(end)', `the bundle holds ${this.entries} entries of ${this.bytes} bytes, the manifest announces ${this.manifest.entries} of ${this.manifest.bytes}`);
    }
  }

  private expect(from: string, kind: BundleEntryKind, id: ContentId, length: number | undefined): void {
    if (length !== undefined && !(length >= 0 && length <= MAX_ENTRY_BYTES)) throw new CorruptBundleError(from, `references chunk ${id.slice(0, 12)} of ${length} bytes (chunks are at most ${MAX_ENTRY_BYTES})`);
    if (this.received.has(id) || this.external.has(id)) return;
    const value = encodeExpected(kind, length);
    const prior = this.expected.get(id);
    if (prior !== undefined && prior !== value) {
      const p = decodeExpected(prior);
      throw new CorruptBundleError(from, `references ${id.slice(0, 12)} as a ${kind}${length === undefined ? '' : ` of ${length} bytes`}, elsewhere as a ${p.kind}${p.length === undefined ? '' : ` of ${p.length} bytes`}`);
    }
    if (prior === undefined) this.expected.set(id, value);
  }

  /** What an object references: kind, id, and for data chunks the length it names. */
  private async children(kind: BundleEntryKind, id: ContentId, bytes: Uint8Array): Promise<[BundleEntryKind, ContentId, number?][]> {
    const out: [BundleEntryKind, ContentId, number?][] = [];
    if (kind === 'chunk') return out;
    this.current = { id, bytes };
    try {
      if (kind === 'snapshot') {
        const s = await readSnapshot(this.objects, id);
        // Agent ids, tags and field keys become catalog keys on import: the same rules as a capture.
        assertAgentId(s.agent);
        for (const tag of s.tags) assertTag(tag);
        for (const key of Object.keys(s.sources.fields)) assertFieldKey(key);
        const tags = [...new Set(s.tags)].sort();
        this.snapshots.set(id, { id, agent: s.agent, parent: s.parent, timeMs: s.timeMs, kind: s.kind, tags, message: s.message, bytes: s.totals?.bytes ?? 0, sourcesDigest: sourcesDigest(s.sources) });
        out.push(['tree', s.sources.memdir.tree]);
        if (s.sources.databases) out.push(['tree', s.sources.databases.tree]);
      } else if (kind === 'tree') {
        for (const e of await readTree(this.objects, id)) {
          if (e.tree) out.push(['tree', e.tree]);
          for (const [c, n] of e.content?.chunks ?? []) out.push(['chunk', c, n]);
          if (e.content?.list) out.push(['list', e.content.list]);
        }
      } else {
        const node = decodeListNode(id, bytes);
        for (const [c, n] of node.items) out.push(node.level > 0 ? ['list', c] : ['chunk', c, n]);
      }
    } catch (err) {
      if (err instanceof CorruptChunkError || err instanceof InvalidArgumentError) throw new CorruptBundleError(entryName(kind, id), String(err.data['reason'] ?? err.message), err);
      throw err;
    } finally {
      this.current = undefined;
    }
    return out;
  }
}

/** A referenced object's kind and, for data chunks, the length its reference names, as one integer. */
function encodeExpected(kind: BundleEntryKind, length: number | undefined): number {
  return BUNDLE_ENTRY_KINDS.indexOf(kind) + (length === undefined ? 0 : 4 * (length + 1));
}

function decodeExpected(value: number): { kind: BundleEntryKind; length: number | undefined } {
  const kind = BUNDLE_ENTRY_KINDS[value % 4]!;
  return value < 4 ? { kind, length: undefined } : { kind, length: Math.floor(value / 4) - 1 };
}
