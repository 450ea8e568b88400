/**
 * Verifies a bundle without any store: every object against its hash, every snapshot
 * complete (or provided by the bases the manifest names), counts and sizes as announced.
 */
import type { Readable } from 'node:stream';
import type { ContentId } from '../hash/index.js';
import type { SnapshotKind } from '../snapshot/index.js';
import { readBundle, type ReadBundleOptions } from './bundle-reader.js';
import type { BundleManifest } from './bundle-format.js';

/** One snapshot of a verified bundle. */
export interface BundleSnapshotSummary {
  readonly id: ContentId;
  readonly agent: string;
  readonly parent: ContentId | null;
  readonly timeMs: number;
  readonly kind: SnapshotKind;
  readonly tags: readonly string[];
  /** Logical bytes of its files and databases. */
  readonly bytes: number;
}

/** What a verified bundle holds. */
export interface BundleVerifyResult {
  readonly ok: true;
  readonly manifest: BundleManifest;
  readonly snapshots: BundleSnapshotSummary[];
  readonly entries: number;
  readonly bytes: number;
  /** Ids the bases must provide (0 for a full bundle). */
  readonly external: number;
  readonly encrypted: boolean;
}

/**
 * Reads and checks a whole bundle; returns its contents when sound.
 * @throws CorruptBundleError naming the first problem, UnsupportedVersionError, DecryptionFailedError.
 */
export async function verifyBundle(input: Readable, options: ReadBundleOptions = {}): Promise<BundleVerifyResult> {
  const r = await readBundle(input, {}, options);
  const snapshots = r.manifest.snapshots.map((id) => {
    const s = r.snapshots.get(id)!;
    return { id, agent: s.agent, parent: s.parent, timeMs: s.timeMs, kind: s.kind, tags: s.tags, bytes: s.bytes };
  });
  return { ok: true, manifest: r.manifest, snapshots, entries: r.entries, bytes: r.bytes, external: r.external, encrypted: r.encrypted };
}
