/**
 * Checks a bundle's objects as they stream past, without any store: every entry hashes to
 * its id, was announced by an object before it (or is a snapshot the manifest lists), has
 * the kind it was referenced as, and comes once; at the end, everything any object
 * referenced arrived or is provided by the bases (`external-ids`), and the counts match the
 * manifest. Because the snapshot id is the hash of its root and every object names its
 * children by hash, passing these checks proves each snapshot in the bundle complete and
 * exactly as exported.
 *
 * Memory: two sets of ids (received; referenced but not yet received), about 150 bytes per
 * distinct object in the bundle (35k objects for a 137 MB agent ≈ 5 MB; 1M ≈ 150 MB).
 */
import { CorruptBundleError, CorruptChunkError, InvalidArgumentError } from '../errors/index.js';
import { hashContent, type ContentId } from '../hash/index.js';
import { decodeListNode, ObjectReader, readSnapshot, readTree, type Snapshot } from '../snapshot/index.js';
import { entryName, type BundleEntryKind, type BundleManifest } from './bundle-format.js';

/** Verifies entries in stream order; see the module comment. */
export class BundleChecker {
  private readonly received = new Set<ContentId>();
  private readonly expected = new Map<ContentId, BundleEntryKind>();
  private readonly roots: Set<ContentId>;
  private readonly external: ReadonlySet<ContentId>;
  /** Parsed snapshot roots, by id. */
  readonly snapshots = new Map<ContentId, Snapshot>();
  entries = 0;
  bytes = 0;
  private current: { id: ContentId; bytes: Uint8Array } | undefined;
  private readonly objects = new ObjectReader({
    get: async (id: ContentId) => {
      if (this.current?.id !== id) throw new Error(`internal: object ${id} read out of turn`);
      return this.current.bytes;
    },
  });

  constructor(
    readonly manifest: BundleManifest,
    external: readonly ContentId[],
  ) {
    this.roots = new Set(manifest.snapshots);
    this.external = new Set(external);
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
      const wanted = this.expected.get(id);
      if (wanted === undefined) throw new CorruptBundleError(name, 'unexpected entry: no object before it references it');
      if (wanted !== kind) throw new CorruptBundleError(name, `referenced as a ${wanted}, sent as a ${kind}`);
    }
    if (++this.entries > this.manifest.entries) throw new CorruptBundleError(name, `more entries than the ${this.manifest.entries} the manifest announces`);
    this.bytes += bytes.length;
    if (this.bytes > this.manifest.bytes) throw new CorruptBundleError(name, `more bytes than the ${this.manifest.bytes} the manifest announces`);
    for (const [childKind, child] of await this.children(kind, id, bytes)) this.expect(name, childKind, child);
    this.expected.delete(id);
    this.received.add(id);
  }

  /** Checks that the bundle is complete. @throws CorruptBundleError naming what is missing. */
  finish(): void {
    for (const root of this.manifest.snapshots) if (!this.received.has(root)) throw new CorruptBundleError(entryName('snapshot', root), 'missing: the manifest lists it but the bundle ends without it (truncated?)');
    for (const [id, kind] of this.expected) throw new CorruptBundleError(entryName(kind, id), `missing: referenced but never sent (${this.expected.size} objects missing; truncated?)`);
    if (this.entries !== this.manifest.entries || this.bytes !== this.manifest.bytes) {
      throw new CorruptBundleError('(end)', `the bundle holds ${this.entries} entries of ${this.bytes} bytes, the manifest announces ${this.manifest.entries} of ${this.manifest.bytes}`);
    }
  }

  private expect(from: string, kind: BundleEntryKind, id: ContentId): void {
    if (this.received.has(id) || this.external.has(id)) return;
    const prior = this.expected.get(id);
    if (prior !== undefined && prior !== kind) throw new CorruptBundleError(from, `references ${id.slice(0, 12)} as a ${kind}, elsewhere as a ${prior}`);
    this.expected.set(id, kind);
  }

  private async children(kind: BundleEntryKind, id: ContentId, bytes: Uint8Array): Promise<[BundleEntryKind, ContentId][]> {
    const out: [BundleEntryKind, ContentId][] = [];
    if (kind === 'chunk') return out;
    this.current = { id, bytes };
    try {
      if (kind === 'snapshot') {
        const s = await readSnapshot(this.objects, id);
        this.snapshots.set(id, s);
        out.push(['tree', s.sources.memdir.tree]);
        if (s.sources.databases) out.push(['tree', s.sources.databases.tree]);
      } else if (kind === 'tree') {
        for (const e of await readTree(this.objects, id)) {
          if (e.tree) out.push(['tree', e.tree]);
          for (const [c] of e.content?.chunks ?? []) out.push(['chunk', c]);
          if (e.content?.list) out.push(['list', e.content.list]);
        }
      } else {
        const node = decodeListNode(id, bytes);
        for (const [c] of node.items) out.push([node.level > 0 ? 'list' : 'chunk', c]);
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
