/**
 * File and database content: an ordered list of chunk references, stored inline when short
 * and otherwise as a Merkle tree of list nodes cut by content.
 *
 * A list node (binary, version 1; docs/FORMAT.md):
 * ```
 * "MSLN" | version u8 = 1 | level u8 | 2 zero | count u32 | count × (id 32 B | length u64)
 * ```
 * Level-0 items are data chunks; level-n items are level-(n-1) nodes with the bytes they
 * cover. A node ends after an item whose id's first 32 bits are ≡ 0 mod 16 (so an
 * unchanged stretch of a long list gives unchanged nodes and costs nothing in the next
 * snapshot), or at 256 items. Levels are added until one node remains: the root.
 */
import { CorruptChunkError, InvalidArgumentError, UnsupportedVersionError } from '../errors/index.js';
import { contentIdFromBytes, hashContent, isContentId, type ContentId } from '../hash/index.js';
import type { ChunkWriter } from '../cas/index.js';
import { KIND_OBJECT } from './object-store.js';

/** One chunk of content: its id and length in bytes. */
export type ChunkRef = readonly [id: ContentId, length: number];

/** Content of a file or database image: inline chunks or the root of a list tree. */
export interface ContentRef {
  /** Total size in bytes. */
  readonly size: number;
  /** The chunks, when there are at most {@link INLINE_CHUNKS}. */
  readonly chunks?: readonly ChunkRef[];
  /** Root list node, when there are more. */
  readonly list?: ContentId;
}

/** Most chunks kept inline in a content reference. */
export const INLINE_CHUNKS = 16;
const NODE_MAGIC = Buffer.from('MSLN');
const NODE_VERSION = 1;
const NODE_HEADER = 12;
const ITEM_BYTES = 40;
/** A node is cut after an item whose id prefix is ≡ 0 modulo this (average fan-out; `endsNode` relies on it being 16). */
export const LIST_FANOUT = 16;
/** Hard cap on items per node. */
export const LIST_MAX_ITEMS = 256;

/** Encodes one list node. */
export function encodeListNode(level: number, items: readonly ChunkRef[]): Buffer {
  const b = Buffer.alloc(NODE_HEADER + items.length * ITEM_BYTES);
  NODE_MAGIC.copy(b, 0);
  b[4] = NODE_VERSION;
  b[5] = level;
  b.writeUInt32LE(items.length, 8);
  items.forEach(([id, length], i) => {
    const at = NODE_HEADER + i * ITEM_BYTES;
    b.write(id, at, 'hex');
    b.writeBigUInt64LE(BigInt(length), at + 32);
  });
  return b;
}

/** Decodes a list node. @throws CorruptChunkError, UnsupportedVersionError. */
export function decodeListNode(id: ContentId, bytes: Uint8Array): { level: number; items: ChunkRef[] } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < NODE_HEADER || !b.subarray(0, 4).equals(NODE_MAGIC)) throw new CorruptChunkError(id, '-', 0, 'not a list node');
  if (b[4] !== NODE_VERSION) throw new UnsupportedVersionError(`list node ${id.slice(0, 12)}`, b[4]!, NODE_VERSION);
  const count = b.readUInt32LE(8);
  if (b.length !== NODE_HEADER + count * ITEM_BYTES) throw new CorruptChunkError(id, '-', 0, 'list node has the wrong length');
  const items: ChunkRef[] = [];
  for (let i = 0; i < count; i++) {
    const at = NODE_HEADER + i * ITEM_BYTES;
    items.push([contentIdFromBytes(b.subarray(at, at + 32)), Number(b.readBigUInt64LE(at + 32))]);
  }
  return { level: b[5]!, items };
}

function endsNode(id: ContentId, count: number): boolean {
  // The id's first 32 bits ≡ 0 mod 16 exactly when its 8th hex digit is 0 (LIST_FANOUT is 16).
  return count >= LIST_MAX_ITEMS || id.charCodeAt(7) === 48;
}

/** What writing list nodes needs from a chunk writer (`prefetchPresence` batches the dedup lookups). */
export type ListNodeSink = Pick<ChunkWriter, 'put'> & Partial<Pick<ChunkWriter, 'putWithId' | 'prefetchPresence'>>;

/**
 * The list nodes written for one content's previous version (a database captured every
 * turn), so writing the next version encodes and hashes only the nodes whose items
 * changed. A pure cache of items → node: every node is still put (deduplicated by the
 * writer), so a memo never has to agree with any store.
 */
export class ListNodeMemo {
  private previous = new Map<string, RememberedNode[]>();
  private current = new Map<string, RememberedNode[]>();
  /** Whether the previous version's nodes were committed (see {@link markCommitted}). */
  private previousCommitted = false;
  /**
   * Set by the caller for one write: the previous version was committed into the snapshot
   * that is still its agent's head in the store being written, so its nodes are stored and
   * no collection removes them (a head is never forgotten). Found nodes are then not put
   * again. Default false: every node is put (deduplicated by the writer).
   */
  headIntact = false;
  private hits = 0;
  private misses = 0;
  /** Nodes of the last finished version found in the one before / encoded anew. */
  lastReused = 0;
  lastEncoded = 0;

  /** The node holding exactly `items` at `level`, if the previous version had it. */
  find(level: number, items: readonly ChunkRef[]): RememberedNode | undefined {
    for (const node of this.previous.get(items[0]![0]) ?? []) {
      if (node.level === level && sameItems(node.items, items)) {
        this.hits++;
        return node;
      }
    }
    this.misses++;
    return undefined;
  }

  /** Records a node of the version being written. */
  keep(node: RememberedNode): void {
    const key = node.items[0]![0];
    const list = this.current.get(key);
    if (list) list.push(node);
    else this.current.set(key, [node]);
  }

  /** Whether nodes found in the previous version may go unwritten (see {@link headIntact}). */
  get previousStored(): boolean {
    return this.headIntact && this.previousCommitted;
  }

  /** Records that the version written last is now committed (call after the snapshot commit). */
  markCommitted(): void {
    this.previousCommitted = true;
  }

  /** Ends a version: its nodes are what the next one is compared with. */
  rotate(): void {
    this.previous = this.current;
    this.current = new Map();
    this.previousCommitted = false;
    this.headIntact = false;
    this.lastReused = this.hits;
    this.lastEncoded = this.misses;
    this.hits = 0;
    this.misses = 0;
  }

  /** How many nodes the last finished version had (for tests). */
  get size(): number {
    let n = 0;
    for (const list of this.previous.values()) n += list.length;
    return n;
  }
}

/** One list node as a memo keeps it. */
export interface RememberedNode {
  readonly level: number;
  readonly items: readonly ChunkRef[];
  readonly id: ContentId;
  readonly bytes: Buffer;
}

function sameItems(a: readonly ChunkRef[], b: readonly ChunkRef[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false;
  return true;
}

/**
 * Stores the list nodes needed for `chunks` and returns the content reference.
 * @param memo the previous version's nodes of the same content (updated to this version's)
 */
export async function writeContent(writer: ListNodeSink, chunks: readonly ChunkRef[], memo?: ListNodeMemo): Promise<ContentRef> {
  const size = chunks.reduce((sum, [, n]) => sum + n, 0);
  if (chunks.length <= INLINE_CHUNKS) return { size, chunks: chunks.slice() };
  let level = 0;
  let items: readonly ChunkRef[] = chunks;
  for (;;) {
    // Encode and hash a whole level first, so the writer can look its ids up in one batch:
    // a large database's list is mostly nodes that exist already.
    const nodes: { bytes: Buffer; id: ContentId; covered: number; stored: boolean }[] = [];
    const skipFound = memo?.previousStored === true;
    let start = 0;
    let covered = 0;
    for (let i = 0; i < items.length; i++) {
      covered += items[i]![1];
      if (i === items.length - 1 || endsNode(items[i]![0], i - start + 1)) {
        const slice = items.slice(start, i + 1);
        const known = memo?.find(level, slice);
        const bytes = known?.bytes ?? encodeListNode(level, slice);
        const id = known?.id ?? hashContent(bytes);
        memo?.keep(known ?? { level, items: slice, id, bytes });
        nodes.push({ bytes, id, covered, stored: skipFound && known !== undefined });
        start = i + 1;
        covered = 0;
      }
    }
    writer.prefetchPresence?.(nodes.filter((n) => !n.stored).map((n) => n.id));
    for (const n of nodes) {
      if (n.stored) continue;
      if (writer.putWithId) await writer.putWithId(n.id, n.bytes, KIND_OBJECT);
      else await writer.put(n.bytes, KIND_OBJECT);
    }
    if (nodes.length === 1) {
      memo?.rotate();
      return { size, list: nodes[0]!.id };
    }
    items = nodes.map((n) => [n.id, n.covered] as const);
    level++;
  }
}

/** Yields the chunk references of `content` in order, reading list nodes through `get`. */
export async function* contentChunks(get: (id: ContentId) => Promise<Uint8Array>, content: ContentRef): AsyncGenerator<ChunkRef> {
  if (content.chunks) {
    yield* content.chunks;
    return;
  }
  if (!content.list) return;
  yield* walkNode(get, content.list, undefined);
}

async function* walkNode(get: (id: ContentId) => Promise<Uint8Array>, id: ContentId, expectedLevel: number | undefined): AsyncGenerator<ChunkRef> {
  const node = decodeListNode(id, await get(id));
  if (expectedLevel !== undefined && node.level !== expectedLevel) throw new CorruptChunkError(id, '-', 0, `list node at level ${node.level}, expected ${expectedLevel}`);
  if (node.level === 0) {
    yield* node.items;
    return;
  }
  for (const [child] of node.items) yield* walkNode(get, child, node.level - 1);
}

/**
 * The chunk references of `content` in order, like {@link contentChunks}, in groups (the
 * inline list, or one level-0 node's items), reading the children of each list node with
 * one `getMany` call: a 100 MB database's ~1,700 list nodes in ~110 batched reads instead
 * of 1,700 single ones. Holds at most one node's children per level.
 */
export async function* contentChunkGroups(getMany: (ids: readonly ContentId[]) => AsyncIterable<Uint8Array>, content: ContentRef): AsyncGenerator<readonly ChunkRef[]> {
  if (content.chunks) {
    if (content.chunks.length > 0) yield content.chunks;
    return;
  }
  if (content.list) yield* walkNodes(getMany, [content.list], undefined);
}

async function* walkNodes(getMany: (ids: readonly ContentId[]) => AsyncIterable<Uint8Array>, ids: readonly ContentId[], expectedLevel: number | undefined): AsyncGenerator<readonly ChunkRef[]> {
  let i = 0;
  for await (const bytes of getMany(ids)) {
    const id = ids[i++]!;
    const node = decodeListNode(id, bytes);
    if (expectedLevel !== undefined && node.level !== expectedLevel) throw new CorruptChunkError(id, '-', 0, `list node at level ${node.level}, expected ${expectedLevel}`);
    if (node.level > 0) yield* walkNodes(getMany, node.items.map(([child]) => child), node.level - 1);
    else if (node.items.length > 0) yield node.items;
  }
}

/** Validates a content reference decoded from JSON. @throws InvalidArgumentError. */
export function parseContentRef(value: unknown): ContentRef {
  const v = value as { size?: unknown; chunks?: unknown; list?: unknown };
  if (typeof v !== 'object' || v === null || !Number.isSafeInteger(v.size) || (v.size as number) < 0) throw new InvalidArgumentError('bad content reference');
  if (v.list !== undefined) {
    if (typeof v.list !== 'string' || !isContentId(v.list)) throw new InvalidArgumentError('bad content list id');
    return { size: v.size as number, list: v.list };
  }
  if (!Array.isArray(v.chunks)) throw new InvalidArgumentError('content reference has neither chunks nor list');
  const chunks = v.chunks.map((c: unknown) => {
    if (!Array.isArray(c) || c.length !== 2 || typeof c[0] !== 'string' || !isContentId(c[0]) || !Number.isSafeInteger(c[1])) {
      throw new InvalidArgumentError('bad chunk reference');
    }
    return [c[0], c[1]] as ChunkRef;
  });
  return { size: v.size as number, chunks };
}

/** The JSON form of a content reference (for canonical objects). */
export function contentRefJson(c: ContentRef): { size: number; chunks?: [string, number][]; list?: string } {
  return c.list ? { size: c.size, list: c.list } : { size: c.size, chunks: (c.chunks ?? []).map(([id, n]) => [id, n]) };
}
