/**
 * Pack file format, version 1 (documented in docs/FORMAT.md; little-endian throughout).
 *
 * ```
 * header   16 B   "MSPK" | version u8 = 1 | 11 zero bytes
 * entry*          entry header (48 B) followed by `storedLength` payload bytes
 *   entry header: "MSCE" | kind u8 | codec u8 | 2 zero | rawLength u32 | storedLength u32 | id 32 B
 * table           one 48 B record per entry, in file order:
 *   id 32 B | offset u32 (of the entry header) | rawLength u32 | storedLength u32 | kind u8 | codec u8 | 2 zero
 * footer   48 B   BLAKE3(table) 32 B | tableOffset u32 | entryCount u32 | version u8 = 1 | 3 zero | "MSPE"
 * ```
 *
 * The footer makes a pack readable with two range reads (footer, table); the entry headers
 * make it recoverable by a forward scan when the footer is lost. A pack's object key is
 * `packs/<first two hex>/<BLAKE3 of the whole pack>.pack`, so packs are immutable and named
 * by content. `kind` is opaque to this layer (0 = data chunk by convention; upper layers
 * define more). `codec` 0 = raw, 1 = zstd frame.
 */
import { CorruptPackError, TruncatedPackError, UnsupportedVersionError } from '../errors/index.js';
import { blake3, contentIdFromBytes, type ContentId } from '../hash/index.js';

/** Version of the pack format this build writes and reads. */
export const PACK_VERSION = 1;
export const PACK_HEADER_BYTES = 16;
export const ENTRY_HEADER_BYTES = 48;
export const TABLE_RECORD_BYTES = 48;
export const FOOTER_BYTES = 48;
/** Largest pack this format can address (offsets are u32). */
export const MAX_PACK_BYTES = 0xffff_ffff;

const PACK_MAGIC = Buffer.from('MSPK');
const ENTRY_MAGIC = Buffer.from('MSCE');
const FOOTER_MAGIC = Buffer.from('MSPE');

/** How a payload is encoded in the pack. */
export const Codec = { Raw: 0, Zstd: 1 } as const;
/** A payload codec id. */
export type Codec = (typeof Codec)[keyof typeof Codec];

/** One entry of a pack, as recorded in its table. */
export interface PackEntry {
  readonly id: ContentId;
  /** Offset of the entry header from the start of the pack. */
  readonly offset: number;
  readonly rawLength: number;
  readonly storedLength: number;
  readonly kind: number;
  readonly codec: Codec;
}

/** Offset of an entry's payload from the start of the pack. */
export function payloadOffset(entry: Pick<PackEntry, 'offset'>): number {
  return entry.offset + ENTRY_HEADER_BYTES;
}

/** The object key of a pack named by its hash. */
export function packKey(packHash: string): string {
  return `packs/${packHash.slice(0, 2)}/${packHash}.pack`;
}

/** The pack hash inside a pack key, or undefined when `key` is not a pack key. */
export function packHashFromKey(key: string): string | undefined {
  const m = /^packs\/[0-9a-f]{2}\/([0-9a-f]{64})\.pack$/.exec(key);
  return m?.[1];
}

/** The 16-byte pack header. */
export function encodePackHeader(): Buffer {
  const b = Buffer.alloc(PACK_HEADER_BYTES);
  PACK_MAGIC.copy(b, 0);
  b[4] = PACK_VERSION;
  return b;
}

/** Writes the 48-byte header of entry `e` into `b` at `at`. */
export function writeEntryHeader(b: Buffer, at: number, e: Omit<PackEntry, 'offset'>, idBytes: Uint8Array): void {
  ENTRY_MAGIC.copy(b, at);
  b[at + 4] = e.kind;
  b[at + 5] = e.codec;
  b[at + 6] = 0;
  b[at + 7] = 0;
  b.writeUInt32LE(e.rawLength, at + 8);
  b.writeUInt32LE(e.storedLength, at + 12);
  b.set(idBytes, at + 16);
}

/** Writes the table and footer into the pack `b` at `at`, where the table starts. */
export function writeTableAndFooter(b: Buffer, at: number, entries: readonly PackEntry[]): void {
  const tableBytes = entries.length * TABLE_RECORD_BYTES;
  b.fill(0, at, at + tableBytes + FOOTER_BYTES);
  entries.forEach((e, i) => {
    const r = at + i * TABLE_RECORD_BYTES;
    b.write(e.id, r, 'hex');
    b.writeUInt32LE(e.offset, r + 32);
    b.writeUInt32LE(e.rawLength, r + 36);
    b.writeUInt32LE(e.storedLength, r + 40);
    b[r + 44] = e.kind;
    b[r + 45] = e.codec;
  });
  const footer = at + tableBytes;
  b.set(blake3(b.subarray(at, footer)), footer);
  b.writeUInt32LE(at, footer + 32);
  b.writeUInt32LE(entries.length, footer + 36);
  b[footer + 40] = PACK_VERSION;
  FOOTER_MAGIC.copy(b, footer + 44);
}

/** Where the table is, as read from a footer. */
export interface PackFooter {
  readonly tableOffset: number;
  readonly entryCount: number;
  readonly tableHash: Uint8Array;
}

/**
 * Decodes the footer of a pack of `packSize` bytes.
 * @throws TruncatedPackError when the pack is too short or its footer magic is missing,
 *   UnsupportedVersionError for a newer version, CorruptPackError for impossible values.
 */
export function decodeFooter(pack: string, footer: Uint8Array, packSize: number): PackFooter {
  const b = Buffer.from(footer.buffer, footer.byteOffset, footer.byteLength);
  if (packSize < PACK_HEADER_BYTES + FOOTER_BYTES || b.length < FOOTER_BYTES) {
    throw new TruncatedPackError(pack, packSize, 'shorter than header and footer');
  }
  if (!b.subarray(44, 48).equals(FOOTER_MAGIC)) throw new TruncatedPackError(pack, packSize, 'no footer at the end');
  if (b[40] !== PACK_VERSION) throw new UnsupportedVersionError(`pack ${pack}`, b[40]!, PACK_VERSION);
  const tableOffset = b.readUInt32LE(32);
  const entryCount = b.readUInt32LE(36);
  if (tableOffset + entryCount * TABLE_RECORD_BYTES + FOOTER_BYTES !== packSize || tableOffset < PACK_HEADER_BYTES) {
    throw new CorruptPackError(pack, packSize - FOOTER_BYTES, 'footer does not match the pack size');
  }
  return { tableOffset, entryCount, tableHash: b.subarray(0, 32) };
}

/** Decodes and checks a pack's table. @throws CorruptPackError when its hash or records are wrong. */
export function decodeTable(pack: string, footer: PackFooter, table: Uint8Array): PackEntry[] {
  const b = Buffer.from(table.buffer, table.byteOffset, table.byteLength);
  if (b.length !== footer.entryCount * TABLE_RECORD_BYTES || !Buffer.from(blake3(b)).equals(Buffer.from(footer.tableHash))) {
    throw new CorruptPackError(pack, footer.tableOffset, 'table hash mismatch');
  }
  const entries: PackEntry[] = [];
  for (let i = 0; i < footer.entryCount; i++) {
    const at = i * TABLE_RECORD_BYTES;
    const entry: PackEntry = {
      id: contentIdFromBytes(b.subarray(at, at + 32)),
      offset: b.readUInt32LE(at + 32),
      rawLength: b.readUInt32LE(at + 36),
      storedLength: b.readUInt32LE(at + 40),
      kind: b[at + 44]!,
      codec: b[at + 45]! as Codec,
    };
    if (payloadOffset(entry) + entry.storedLength > footer.tableOffset) {
      throw new CorruptPackError(pack, footer.tableOffset + at, `entry ${i} runs past the table`);
    }
    entries.push(entry);
  }
  return entries;
}

/** Checks a pack header. @throws CorruptPackError / UnsupportedVersionError. */
export function checkPackHeader(pack: string, header: Uint8Array): void {
  const b = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (b.length < PACK_HEADER_BYTES || !b.subarray(0, 4).equals(PACK_MAGIC)) throw new CorruptPackError(pack, 0, 'not a memsnap pack (bad magic)');
  if (b[4] !== PACK_VERSION) throw new UnsupportedVersionError(`pack ${pack}`, b[4]!, PACK_VERSION);
}

/** Result of scanning a pack forward from its header, used when its footer is lost. */
export interface PackScan {
  readonly entries: PackEntry[];
  /** Offset where the scan stopped: the first byte that is not a whole entry. */
  readonly endOffset: number;
}

/**
 * Recovers entries by walking entry headers from the start. Stops at the first byte that
 * is not a whole entry (the table, or where a truncation cut the pack). Payloads are not
 * verified here; the caller hashes them.
 */
export function scanPack(pack: string, data: Uint8Array): PackScan {
  checkPackHeader(pack, data);
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const entries: PackEntry[] = [];
  let at = PACK_HEADER_BYTES;
  while (at + ENTRY_HEADER_BYTES <= b.length && b.subarray(at, at + 4).equals(ENTRY_MAGIC)) {
    const storedLength = b.readUInt32LE(at + 12);
    if (at + ENTRY_HEADER_BYTES + storedLength > b.length) break;
    entries.push({
      id: contentIdFromBytes(b.subarray(at + 16, at + 48)),
      offset: at,
      rawLength: b.readUInt32LE(at + 8),
      storedLength,
      kind: b[at + 4]!,
      codec: b[at + 5]! as Codec,
    });
    at += ENTRY_HEADER_BYTES + storedLength;
  }
  return { entries, endOffset: at };
}
