/**
 * Metadata objects (trees, chunk lists, snapshots) stored as chunks of their own kinds.
 *
 * Every object is canonical JSON `{"t": type, "v": version, ...}` stored with kind
 * {@link KIND_OBJECT} (or {@link KIND_SNAPSHOT} for snapshot roots, so a rebuild can find
 * them), and named, like any chunk, by the BLAKE3 of its bytes. Decoding checks the type
 * and switches on the version; unknown versions are refused. Reads are cached (LRU).
 */
import { LRUCache } from 'lru-cache';
import { CorruptChunkError, UnsupportedVersionError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import type { ChunkStore, ChunkWriter } from '../cas/index.js';
import { canonicalBytes, type CanonicalValue } from './canonical-json.js';

/** Kind byte of metadata objects (trees, lists). */
export const KIND_OBJECT = 1;
/** Kind byte of snapshot roots. */
export const KIND_SNAPSHOT = 2;

/** Every object type and the one version of it this build writes. */
export const OBJECT_VERSIONS = { list: 1, tree: 1, snapshot: 1 } as const;
/** An object type. */
export type ObjectType = keyof typeof OBJECT_VERSIONS;

/** Encodes an object body as canonical bytes with its type and version. */
export function encodeObject(type: ObjectType, body: { [key: string]: CanonicalValue | undefined }): Buffer {
  return canonicalBytes({ ...body, t: type, v: OBJECT_VERSIONS[type] });
}

/**
 * Parses object bytes and checks type and version.
 * @throws CorruptChunkError when the bytes are not an object of `type`; UnsupportedVersionError for newer versions.
 */
export function decodeObject(id: ContentId, bytes: Uint8Array, type: ObjectType): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new CorruptChunkError(id, '-', 0, `object is not JSON`, err);
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj !== 'object' || obj === null || obj['t'] !== type) {
    throw new CorruptChunkError(id, '-', 0, `expected a ${type} object, found ${JSON.stringify((obj as Record<string, unknown> | null)?.['t'])}`);
  }
  // JSON.stringify, not String(): a decoded object may carry a `toString` that String() cannot call.
  if (obj['v'] !== OBJECT_VERSIONS[type]) throw new UnsupportedVersionError(`${type} object ${id.slice(0, 12)}`, JSON.stringify(obj['v']) ?? 'nothing', OBJECT_VERSIONS[type]);
  return obj;
}

/** Reads objects from a chunk store, with a decoded-object cache. */
export class ObjectReader {
  private readonly cache = new LRUCache<string, Record<string, unknown>>({ max: 4096 });

  constructor(private readonly chunks: Pick<ChunkStore, 'get'>) {}

  /** The decoded object `id` of `type`. @throws NotFoundError, CorruptChunkError, UnsupportedVersionError. */
  async read(id: ContentId, type: ObjectType): Promise<Record<string, unknown>> {
    const key = `${type}:${id}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const obj = decodeObject(id, await this.chunks.get(id), type);
    this.cache.set(key, obj);
    return obj;
  }
}

/** Writes an object through a chunk writer and returns its id. */
export async function writeObject(writer: Pick<ChunkWriter, 'put'>, type: ObjectType, body: { [key: string]: CanonicalValue | undefined }): Promise<ContentId> {
  const bytes = encodeObject(type, body);
  return (await writer.put(bytes, type === 'snapshot' ? KIND_SNAPSHOT : KIND_OBJECT)).id;
}
