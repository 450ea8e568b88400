/**
 * The bundle format, version 1 (docs/FORMAT.md, "Bundle (version 1)"): names, limits and the
 * manifest, shared by the writer and the reader.
 *
 * A bundle is one zstd stream holding one tar archive (ustar headers, every header field
 * fixed: mtime 0, uid/gid 0, mode 0644, no user names), whose entries are, in order:
 * ```
 * memsnap-bundle.json     the manifest (canonical JSON, always first)
 * external-ids            only in incremental bundles: sorted 32-byte ids the bases provide
 * snapshot/<id>           snapshot roots    ┐ each object once, in the order a depth-first
 * tree/<id>               trees             │ walk of the snapshots first reaches it, so a
 * list/<id>               chunk-list nodes  │ parent always comes before what it names
 * chunk/<id>              raw data chunks   ┘
 * ```
 * Object entries hold the raw bytes whose BLAKE3 is `<id>`; the outer zstd compresses.
 */
import { CorruptBundleError, UnsupportedVersionError } from '../errors/index.js';
import { isContentId, type ContentId } from '../hash/index.js';
import { MAX_CHUNK_BYTES } from '../cas/index.js';
import type { ReachableKind } from '../snapshot/index.js';

/** `format` member of every bundle manifest. */
export const BUNDLE_FORMAT = 'memsnap-bundle';
/** The bundle version this build writes and the only one it reads. */
export const BUNDLE_VERSION = 1;
/** Name of the manifest entry, always the first entry. */
export const MANIFEST_ENTRY = 'memsnap-bundle.json';
/** Name of the entry listing ids the bases provide (incremental bundles only). */
export const EXTERNAL_ENTRY = 'external-ids';
/** Largest manifest accepted, in bytes (16 MiB: ~250k snapshot ids). */
export const MAX_MANIFEST_BYTES = 16 << 20;
/** Most external ids a bundle may list (64 MiB of ids; the boundary of a base is far smaller). */
export const MAX_EXTERNAL_IDS = 1 << 21;
/** Largest object entry accepted, in bytes: the chunk store's own limit (16 MiB). */
export const MAX_ENTRY_BYTES = MAX_CHUNK_BYTES;
/** Tar overhead a reader allows per entry when it bounds decompressed bytes: header and padding. */
export const TAR_BYTES_PER_ENTRY = 1024;
/** Default absolute cap on the decompressed size of any bundle: 1 TiB. */
export const DEFAULT_MAX_BUNDLE_BYTES = 2 ** 40;
/** zstd level bundles are written with unless told otherwise. */
export const DEFAULT_BUNDLE_LEVEL = 3;
/** First bytes of a zstd frame. */
export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** What an object entry holds (the reachability walk's kinds). */
export type BundleEntryKind = ReachableKind;
/** Every entry kind; an index into this is the kind's small-integer code. */
export const BUNDLE_ENTRY_KINDS: readonly BundleEntryKind[] = ['snapshot', 'tree', 'list', 'chunk'];

/** The manifest: what a bundle holds and what its receiver must already have. */
export interface BundleManifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: typeof BUNDLE_VERSION;
  /** Snapshot roots in the bundle, in the order given to export. */
  readonly snapshots: readonly ContentId[];
  /** Snapshots the receiver must already hold (incremental bundles); empty for a full bundle. */
  readonly bases: readonly ContentId[];
  /** Number of object entries (snapshot, tree, list and chunk entries). */
  readonly entries: number;
  /** Sum of the object entries' sizes, in bytes. */
  readonly bytes: number;
  /** Number of ids in `external-ids` (referenced, provided by the bases). */
  readonly external: number;
}

/** The tar entry name of an object. */
export function entryName(kind: BundleEntryKind, id: ContentId): string {
  return `${kind}/${id}`;
}

/** Kind and id of an object entry name, or undefined when the name is not one. Strict: no `./`, no other forms. */
export function parseEntryName(name: string): { kind: BundleEntryKind; id: ContentId } | undefined {
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const kind = name.slice(0, slash) as BundleEntryKind;
  const id = name.slice(slash + 1);
  return BUNDLE_ENTRY_KINDS.includes(kind) && isContentId(id) ? { kind, id } : undefined;
}

/** The canonical JSON bytes of a manifest (keys sorted, no whitespace). */
export function encodeManifest(m: BundleManifest): Buffer {
  const ordered = { bases: m.bases, bytes: m.bytes, entries: m.entries, external: m.external, format: m.format, snapshots: m.snapshots, version: m.version };
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}

/**
 * Parses and checks a manifest.
 * @throws UnsupportedVersionError for another version; CorruptBundleError for anything malformed.
 */
export function decodeManifest(bytes: Uint8Array): BundleManifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new CorruptBundleError(MANIFEST_ENTRY, 'the manifest is not JSON', err);
  }
  const m = value as Record<string, unknown>;
  const bad = (why: string): never => {
    throw new CorruptBundleError(MANIFEST_ENTRY, why);
  };
  if (typeof m !== 'object' || m === null || m['format'] !== BUNDLE_FORMAT) bad(`format is ${JSON.stringify((m as Record<string, unknown> | null)?.['format'])}, not ${BUNDLE_FORMAT}`);
  if (m['version'] !== BUNDLE_VERSION) throw new UnsupportedVersionError('bundle', JSON.stringify(m['version']) ?? 'nothing', BUNDLE_VERSION);
  const ids = (key: string): ContentId[] => {
    const list = m[key];
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && isContentId(x))) bad(`${key} must be a list of snapshot ids`);
    if (new Set(list as string[]).size !== (list as string[]).length) bad(`${key} lists a snapshot twice`);
    return list as ContentId[];
  };
  const count = (key: string): number => {
    const n = m[key];
    return Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : bad(`${key} must be a whole number`);
  };
  const snapshots = ids('snapshots');
  if (snapshots.length === 0) bad('no snapshots');
  return { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, snapshots, bases: ids('bases'), entries: count('entries'), bytes: count('bytes'), external: count('external') };
}
