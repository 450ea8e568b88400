/**
 * Reads whole packs for verify and index rebuild: the table when the footer is sound,
 * otherwise a forward scan of entry headers, and a check of every payload.
 */
import { MemsnapError } from '../errors/index.js';
import { blake3, hashContent } from '../hash/index.js';
import type { ObjectBackend } from './backend/object-backend.js';
import { decodePayload } from './compression.js';
import { FOOTER_BYTES, checkPackHeader, decodeFooter, decodeTable, packKey, payloadOffset, scanPack, type PackEntry } from './pack-format.js';

/** A pack as read back: its entries, how they were found, and what was wrong with it. */
export interface PackReadout {
  readonly pack: string;
  readonly size: number;
  /** Entries from the table, or from a scan when `structureError` is set. */
  readonly entries: PackEntry[];
  /** Why the table could not be used (truncated, damaged footer or table), if so. */
  readonly structureError?: MemsnapError | Error;
  /** Whether the pack's bytes hash to its name. */
  readonly nameMatches: boolean;
}

/** Reads pack `hash` whole and lists its entries (table first, scan as fallback). */
export async function readPack(backend: Pick<ObjectBackend, 'get'>, hash: string): Promise<{ readout: PackReadout; bytes: Uint8Array }> {
  const bytes = await backend.get(packKey(hash));
  const nameMatches = Buffer.from(blake3(bytes)).toString('hex') === hash;
  try {
    checkPackHeader(hash, bytes);
    const footer = decodeFooter(hash, bytes.subarray(bytes.length - FOOTER_BYTES), bytes.length);
    const entries = decodeTable(hash, footer, bytes.subarray(footer.tableOffset, bytes.length - FOOTER_BYTES));
    return { readout: { pack: hash, size: bytes.length, entries, nameMatches }, bytes };
  } catch (err) {
    let entries: PackEntry[] = [];
    try {
      entries = scanPack(hash, bytes).entries;
    } catch {
      // header itself is bad: nothing recoverable
    }
    return { readout: { pack: hash, size: bytes.length, entries, nameMatches, structureError: err as Error }, bytes };
  }
}

/** Why an entry's payload is bad, or undefined when it decodes and hashes to its id. */
export function checkEntry(bytes: Uint8Array, entry: PackEntry): string | undefined {
  const start = payloadOffset(entry);
  if (start + entry.storedLength > bytes.length) return 'payload runs past the end of the pack';
  let raw: Uint8Array;
  try {
    raw = decodePayload(entry.codec, bytes.subarray(start, start + entry.storedLength), entry.rawLength);
  } catch (err) {
    return (err as Error).message;
  }
  return hashContent(raw) === entry.id ? undefined : 'content does not match its hash';
}
