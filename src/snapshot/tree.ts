/**
 * Trees: one directory listing per object, in canonical JSON (docs/FORMAT.md).
 *
 * Entries are sorted by name (UTF-16 code units) and unique; names are never empty, `.`,
 * `..`, or contain `/` or NUL, so a tree can never point outside its directory. A tree
 * holds only what restores the directory (kind, mode, mtime, size, content); local facts
 * such as inode and ctime live in the capture cache, so identical directories on two
 * machines get identical tree ids and dedup across a fleet.
 */
import { CorruptChunkError } from '../errors/index.js';
import { canonicalInteger } from './canonical-json.js';
import { isContentId, type ContentId } from '../hash/index.js';
import type { ChunkWriter } from '../cas/index.js';
import { parseContentRef, type ContentRef } from './content-list.js';
import { KIND_OBJECT, OBJECT_VERSIONS, type ObjectReader } from './object-store.js';

/** What an entry is. `sqlite` is a database captured as a consistent page image. */
export type EntryKind = 'file' | 'dir' | 'symlink' | 'sqlite';

/** One entry of a directory. */
export interface TreeEntry {
  readonly name: string;
  readonly kind: EntryKind;
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
  /** Modification time in nanoseconds since the epoch, as a decimal string. */
  readonly mtimeNs: string;
  /** file, sqlite: the content. */
  readonly content?: ContentRef;
  /** dir: the subtree. */
  readonly tree?: ContentId;
  /** symlink: the link text, never followed. */
  readonly target?: string;
  /** sqlite: the page size of the image. */
  readonly pageSize?: number;
}

/** Whether `name` is a safe single path segment. */
export function isSafeName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** Stores a tree and returns its id. Entries are sorted here; duplicates are a bug and throw. */
export async function writeTree(writer: Pick<ChunkWriter, 'put'>, entries: readonly TreeEntry[]): Promise<ContentId> {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.name === sorted[i - 1]!.name) throw new Error(`duplicate tree entry ${sorted[i]!.name}`);
  }
  return (await writer.put(encodeTree(sorted), KIND_OBJECT)).id;
}

/**
 * The canonical bytes of a tree object with `sorted` entries: exactly what
 * `encodeObject('tree', { entries })` gives (a test holds the two together), written out
 * directly because trees are most of a turn's metadata (~110 per turn on the bench agent).
 * @throws InvalidArgumentError for numbers that are not safe integers.
 */
export function encodeTree(sorted: readonly TreeEntry[]): Buffer {
  const entries = sorted.map(entryJson).join(',');
  return Buffer.from(`{"entries":[${entries}],"t":"tree","v":${OBJECT_VERSIONS.tree}}`, 'utf8');
}

/** One entry's canonical JSON: its keys in sorted order, absent ones left out. */
function entryJson(e: TreeEntry): string {
  const fields: string[] = [];
  if (e.content) fields.push(`"content":${contentJson(e.content)}`);
  fields.push(`"kind":${JSON.stringify(e.kind)}`, `"mode":${canonicalInteger(e.mode)}`, `"mtimeNs":${JSON.stringify(e.mtimeNs)}`, `"name":${JSON.stringify(e.name)}`);
  if (e.pageSize !== undefined) fields.push(`"pageSize":${canonicalInteger(e.pageSize)}`);
  if (e.target !== undefined) fields.push(`"target":${JSON.stringify(e.target)}`);
  if (e.tree !== undefined) fields.push(`"tree":${JSON.stringify(e.tree)}`);
  return `{${fields.join(',')}}`;
}

/** canonicalJson(contentRefJson(c)), written out. */
function contentJson(c: ContentRef): string {
  if (c.list) return `{"list":${JSON.stringify(c.list)},"size":${canonicalInteger(c.size)}}`;
  const chunks = (c.chunks ?? []).map(([id, n]) => `[${JSON.stringify(id)},${canonicalInteger(n)}]`).join(',');
  return `{"chunks":[${chunks}],"size":${canonicalInteger(c.size)}}`;
}


/** Reads and validates a tree. @throws CorruptChunkError for malformed or unsafe entries. */
export async function readTree(objects: ObjectReader, id: ContentId): Promise<TreeEntry[]> {
  const obj = await objects.read(id, 'tree');
  const raw = obj['entries'];
  if (!Array.isArray(raw)) throw new CorruptChunkError(id, '-', 0, 'tree without entries');
  let previous = '';
  return raw.map((value: unknown, i: number) => {
    const bad = (why: string): never => {
      throw new CorruptChunkError(id, '-', 0, `tree entry ${i}: ${why}`);
    };
    if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('not an object');
    const e = value as Record<string, unknown>;
    const name = typeof e['name'] === 'string' ? e['name'] : bad('no name');
    if (!isSafeName(name)) bad(`unsafe name ${JSON.stringify(name)}`);
    if (i > 0 && !(previous < name)) bad('entries not sorted or duplicated');
    previous = name;
    const kind = e['kind'];
    if (kind !== 'file' && kind !== 'dir' && kind !== 'symlink' && kind !== 'sqlite') bad(`unknown kind ${String(kind)}`);
    const mode = Number.isInteger(e['mode']) ? (e['mode'] as number) & 0o7777 : bad('bad mode');
    const mtimeNs = typeof e['mtimeNs'] === 'string' && /^-?\d+$/.test(e['mtimeNs']) ? e['mtimeNs'] : bad('bad mtime');
    const entry: TreeEntry = { name, kind: kind as EntryKind, mode, mtimeNs };
    switch (kind) {
      case 'dir':
        return typeof e['tree'] === 'string' && isContentId(e['tree']) ? { ...entry, tree: e['tree'] } : bad('dir without tree');
      case 'symlink':
        return typeof e['target'] === 'string' ? { ...entry, target: e['target'] } : bad('symlink without target');
      case 'sqlite':
        return { ...entry, content: parseOrBad(e['content'], bad), pageSize: Number.isInteger(e['pageSize']) ? (e['pageSize'] as number) : bad('no page size') };
      default:
        return { ...entry, content: parseOrBad(e['content'], bad) };
    }
  });
}

function parseOrBad(value: unknown, bad: (why: string) => never): ContentRef {
  try {
    return parseContentRef(value);
  } catch (err) {
    return bad((err as Error).message);
  }
}
