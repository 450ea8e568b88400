/**
 * The capture cache: per agent, the stat facts and content of every file seen by the last
 * capture, so an unchanged file costs one lstat. Kept in the store's catalog, never in
 * snapshots (inode and ctime mean nothing on another machine).
 *
 * An entry is reused only when size, mtime (ns), ctime (ns) and inode all match (and for
 * databases the same holds for the `-wal` file). Racy-timestamp rule: entries whose
 * mtime is within `racyWindowMs` of the capture's start are not cached at all, because a
 * later write in the same timestamp tick could leave the stat unchanged.
 */
import { parseContentRef, contentRefJson, type ContentRef, type EntryKind } from '../snapshot/index.js';

/** Version of the cache encoding; other versions are ignored (a full re-read). */
export const CAPTURE_CACHE_VERSION = 1;

/** Stat facts that identify an unchanged file. */
export interface StatKey {
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly ino: bigint;
}

/** What the cache remembers of one path. */
export interface CachedEntry {
  readonly kind: EntryKind;
  readonly stat: string;
  readonly content: ContentRef;
  readonly pageSize?: number;
}

/** Stat facts as one comparable string; `extra` adds e.g. the `-wal` file's facts. */
export function statFingerprint(s: StatKey, extra = ''): string {
  return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}${extra ? `|${extra}` : ''}`;
}

/** Decodes the cache text of a previous capture (empty on any mismatch). */
export function parseCaptureCache(text: string | undefined): Map<string, CachedEntry> {
  const out = new Map<string, CachedEntry>();
  if (!text) return out;
  try {
    const obj = JSON.parse(text) as { v: number; entries: Record<string, { k: EntryKind; s: string; c: unknown; p?: number }> };
    if (obj.v !== CAPTURE_CACHE_VERSION) return out;
    for (const [rel, e] of Object.entries(obj.entries)) {
      out.set(rel, { kind: e.k, stat: e.s, content: parseContentRef(e.c), ...(e.p ? { pageSize: e.p } : {}) });
    }
  } catch {
    out.clear(); // a damaged cache only costs a full re-read
  }
  return out;
}

/** Encodes the cache for the next capture. */
export function formatCaptureCache(entries: ReadonlyMap<string, CachedEntry>): string {
  const obj: Record<string, unknown> = {};
  for (const [rel, e] of entries) obj[rel] = { k: e.kind, s: e.stat, c: contentRefJson(e.content), ...(e.pageSize ? { p: e.pageSize } : {}) };
  return JSON.stringify({ v: CAPTURE_CACHE_VERSION, entries: obj });
}
