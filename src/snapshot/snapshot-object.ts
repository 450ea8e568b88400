/**
 * The snapshot root object: what one capture of one agent recorded, in canonical JSON.
 * Its id is the hash of its bytes, and it names every tree and chunk below it, so the id
 * verifies the whole snapshot. Format in docs/FORMAT.md.
 */
import { CorruptChunkError, InvalidArgumentError } from '../errors/index.js';
import { hashContent, isContentId, type ContentId } from '../hash/index.js';
import type { ChunkWriter } from '../cas/index.js';
import { canonicalBytes, type CanonicalValue } from './canonical-json.js';
import { writeObject, type ObjectReader } from './object-store.js';
import { isSafeName } from './tree.js';

/** Why a snapshot was taken. */
export type SnapshotKind = 'automatic' | 'manual' | 'pre-operation' | 'recovery';
/** All snapshot kinds. */
export const SNAPSHOT_KINDS: readonly SnapshotKind[] = ['automatic', 'manual', 'pre-operation', 'recovery'];

/** Git facts of the memdir at capture time (absent when it is not a git work tree). */
export interface GitState {
  /** Commit id HEAD resolves to, or null in an empty repository. */
  readonly head: string | null;
  /** Current branch, or null when HEAD is detached. */
  readonly branch: string | null;
  /** Whether the work tree or index differs from HEAD. */
  readonly dirty: boolean;
}

/** JSON values, as captured from state providers and key/value fields. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a snapshot holds, apart from its history metadata. */
export interface SnapshotSources {
  /** Root tree of the agent directory (databases inside it are `sqlite` entries). */
  readonly memdir: { readonly tree: ContentId; readonly git?: GitState };
  /** Values of the runtime-state providers that returned one, by provider name. */
  readonly state: Readonly<Record<string, JsonValue>>;
  /** The agent's key/value fields at the cut. */
  readonly fields: Readonly<Record<string, JsonValue>>;
  /**
   * Databases named explicitly that live outside the agent directory: a tree of `sqlite`
   * entries (one per database, by name) and the absolute path each was captured from.
   */
  readonly databases?: { readonly tree: ContentId; readonly origins: Readonly<Record<string, string>> };
}

/** Totals over the captured content. */
export interface SnapshotTotals {
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly databases: number;
  /** Bytes of file and database content. */
  readonly bytes: number;
}

/**
 * What a redacted snapshot records about its making: the snapshot it was redacted from and
 * the hash of the rules applied (never the redacted content itself).
 */
export interface RedactionRecord {
  /** Id of the source snapshot. */
  readonly original: ContentId;
  /** BLAKE3 of the canonical encoding of the parsed redaction rules. */
  readonly rules: ContentId;
}

/** A snapshot root as stored. */
export interface Snapshot {
  readonly agent: string;
  readonly parent: ContentId | null;
  /** Capture time (the cut) in ms since the epoch. */
  readonly timeMs: number;
  readonly kind: SnapshotKind;
  readonly tags: readonly string[];
  readonly message: string;
  readonly sources: SnapshotSources;
  readonly totals: SnapshotTotals;
  /** Present only on a snapshot made by redaction (absent members are omitted, so other ids are unchanged). */
  readonly redaction?: RedactionRecord;
}

function toCanonical(value: unknown): CanonicalValue {
  return value as CanonicalValue;
}

/** Stores a snapshot root and returns its id. Tags are sorted and deduplicated. */
export async function writeSnapshot(writer: Pick<ChunkWriter, 'put'>, s: Snapshot): Promise<ContentId> {
  return writeObject(writer, 'snapshot', {
    agent: s.agent,
    parent: s.parent,
    timeMs: s.timeMs,
    kind: s.kind,
    tags: [...new Set(s.tags)].sort(),
    message: s.message,
    sources: toCanonical(s.sources),
    totals: toCanonical(s.totals),
    redaction: s.redaction && { original: s.redaction.original, rules: s.redaction.rules },
  });
}

/** A digest of a snapshot's sources only: equal for two captures that saw the same content. */
export function sourcesDigest(sources: SnapshotSources): ContentId {
  return hashContent(canonicalBytes(toCanonical(sources)));
}

/** Reads and validates a snapshot root. @throws CorruptChunkError, UnsupportedVersionError. */
export async function readSnapshot(objects: ObjectReader, id: ContentId): Promise<Snapshot> {
  const o = await objects.read(id, 'snapshot');
  const bad = (why: string): never => {
    throw new CorruptChunkError(id, '-', 0, `snapshot ${why}`);
  };
  const sources = o['sources'] as SnapshotSources | undefined;
  if (typeof o['agent'] !== 'string') bad('without agent');
  if (o['parent'] !== null && !(typeof o['parent'] === 'string' && isContentId(o['parent']))) bad('with a bad parent');
  if (!Number.isSafeInteger(o['timeMs'])) bad('without time');
  if (!SNAPSHOT_KINDS.includes(o['kind'] as SnapshotKind)) bad(`of unknown kind ${String(o['kind'])}`);
  if (!sources || typeof sources.memdir?.tree !== 'string' || !isContentId(sources.memdir.tree)) bad('without a memdir tree');
  const dbs = sources!.databases;
  if (dbs !== undefined && (typeof dbs.tree !== 'string' || !isContentId(dbs.tree) || typeof dbs.origins !== 'object' || dbs.origins === null)) bad('with bad external databases');
  // Origins are where a restore may write: absolute paths only, as the capture recorded them.
  for (const [name, origin] of Object.entries(dbs?.origins ?? {})) {
    if (!isSafeName(name) || typeof origin !== 'string' || !origin.startsWith('/') || origin.includes('\0') || origin.split('/').includes('..')) bad(`with a bad external database origin for ${JSON.stringify(name)}`);
  }
  const redaction = o['redaction'] as Record<string, unknown> | undefined;
  if (redaction !== undefined && (typeof redaction !== 'object' || redaction === null || !isIdText(redaction['original']) || !isIdText(redaction['rules']))) bad('with a bad redaction record');
  return {
    agent: o['agent'] as string,
    parent: o['parent'] as ContentId | null,
    timeMs: o['timeMs'] as number,
    kind: o['kind'] as SnapshotKind,
    tags: Array.isArray(o['tags']) ? (o['tags'] as string[]) : [],
    message: typeof o['message'] === 'string' ? o['message'] : '',
    sources: { memdir: sources!.memdir, state: sources!.state ?? {}, fields: sources!.fields ?? {}, ...(dbs ? { databases: dbs } : {}) },
    totals: o['totals'] as SnapshotTotals,
    ...(redaction ? { redaction: { original: redaction['original'] as ContentId, rules: redaction['rules'] as ContentId } } : {}),
  };
}

function isIdText(value: unknown): boolean {
  return typeof value === 'string' && isContentId(value);
}

/** Checks a tag: 1-100 characters of letters, digits and `._:-`, not starting with `-`. */
export function assertTag(tag: string): void {
  if (!/^[A-Za-z0-9._:][A-Za-z0-9._:-]{0,99}$/.test(tag)) throw new InvalidArgumentError(`bad tag ${JSON.stringify(tag)} (letters, digits and ._:- only, up to 100)`);
}
