/**
 * Assembles one pack in memory from encoded payloads: header, entries, table, footer,
 * and the pack's name (BLAKE3 of all its bytes). Pure; writing is the writer's job.
 */
import { blake3, contentIdToBytes, type ContentId } from '../hash/index.js';
import {
  ENTRY_HEADER_BYTES,
  MAX_PACK_BYTES,
  PACK_HEADER_BYTES,
  encodeEntryHeader,
  encodePackHeader,
  encodeTableAndFooter,
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

/** Lays out `items` as a pack. @throws RangeError when the pack would exceed 4 GiB. */
export function buildPack(items: readonly PackItem[]): BuiltPack {
  const parts: Uint8Array[] = [encodePackHeader()];
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
    parts.push(encodeEntryHeader(entry, contentIdToBytes(item.id)), item.bytes);
    entries.push(entry);
    offset += ENTRY_HEADER_BYTES + item.bytes.length;
  }
  parts.push(encodeTableAndFooter(entries, offset));
  const bytes = Buffer.concat(parts);
  if (bytes.length > MAX_PACK_BYTES) throw new RangeError(`pack of ${bytes.length} bytes exceeds the format's 4 GiB limit`);
  return { hash: Buffer.from(blake3(bytes)).toString('hex'), bytes, entries };
}
