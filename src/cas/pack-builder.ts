/**
 * Assembles one pack in memory from encoded payloads: header, entries, table, footer,
 * and the pack's name (BLAKE3 of all its bytes). Pure; writing is the writer's job.
 */
import { blake3, contentIdToBytes, type ContentId } from '../hash/index.js';
import {
  ENTRY_HEADER_BYTES,
  FOOTER_BYTES,
  MAX_PACK_BYTES,
  PACK_HEADER_BYTES,
  TABLE_RECORD_BYTES,
  encodePackHeader,
  writeEntryHeader,
  writeTableAndFooter,
  type Codec,
  type PackEntry,
} from './pack-format.js';

/** A payload ready to go into a pack. */
export interface PackItem {
  readonly id: ContentId;
  readonly kind: number;
  readonly rawLength: number;
  readonly codec: Codec;
  readonly bytes: Uint8Array;
}

/** A finished pack: its bytes, hash name and entry table. */
export interface BuiltPack {
  readonly hash: string;
  readonly bytes: Buffer;
  readonly entries: PackEntry[];
}

/** Size in bytes of the pack that {@link buildPack} makes of `items`. */
export function packSize(items: readonly PackItem[]): number {
  let size = PACK_HEADER_BYTES + FOOTER_BYTES;
  for (const item of items) size += ENTRY_HEADER_BYTES + TABLE_RECORD_BYTES + item.bytes.length;
  return size;
}

/**
 * Lays out `items` as a pack, written straight into `into` when it has room (a buffer the
 * caller reuses from pack to pack: no allocation, no concatenation), else into a new buffer.
 * The result's `bytes` view `into` then, so `into` must not be reused until they are written.
 * @throws RangeError when the pack would exceed 4 GiB.
 */
export function buildPack(items: readonly PackItem[], into?: Uint8Array): BuiltPack {
  const size = packSize(items);
  if (size > MAX_PACK_BYTES) throw new RangeError(`pack of ${size} bytes exceeds the format's 4 GiB limit`);
  const target = into && into.length >= size ? into : new Uint8Array(size);
  const bytes = Buffer.from(target.buffer, target.byteOffset, size);
  bytes.set(encodePackHeader(), 0);
  const entries: PackEntry[] = [];
  let offset = PACK_HEADER_BYTES;
  for (const item of items) {
    const entry: PackEntry = {
      id: item.id,
      offset,
      rawLength: item.rawLength,
      storedLength: item.bytes.length,
      kind: item.kind,
      codec: item.codec,
    };
    writeEntryHeader(bytes, offset, entry, contentIdToBytes(item.id));
    bytes.set(item.bytes, offset + ENTRY_HEADER_BYTES);
    entries.push(entry);
    offset += ENTRY_HEADER_BYTES + item.bytes.length;
  }
  writeTableAndFooter(bytes, offset, entries);
  return { hash: Buffer.from(blake3(bytes)).toString('hex'), bytes, entries };
}
