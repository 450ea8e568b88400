/**
 * What a capture remembers of a database image to capture the next one incrementally:
 * the WAL position it saw, every page's tail hash (which alone decides the page chunker's
 * cuts) and the chunks (pages, id). Local cache only, never part of a snapshot; a state
 * that does not decode is ignored (the next capture reads the whole database).
 *
 * ```
 * "MSDB" | version u8 = 2 | mode u8 (1 wal, 2 other) | 2 zero | pageSize u32 | nPage u32
 *   | mxFrame u32 | salt 8 B | chunkCount u32 | fileIno u64 | nPage × tailHash u32
 *   | chunkCount × (pages u16 | id 32 B)
 * ```
 * Version 1 states (without the file's inode) are ignored.
 */
import { contentIdFromBytes, contentIdToBytes, type ContentId } from '../hash/index.js';

/** The remembered facts of one database image. */
export interface DatabaseState {
  /** `wal`: `salt` and `mxFrame` name the WAL position the image includes. */
  readonly mode: 'wal' | 'other';
  readonly pageSize: number;
  readonly nPage: number;
  readonly mxFrame: number;
  /** WAL salt bytes as hex (16 characters), empty for `other`. */
  readonly salt: string;
  /** Inode of the database file the image came from: a replaced file never reuses this state. */
  readonly fileIno: bigint;
  readonly tailHashes: Uint32Array;
  /** Chunks in order: how many pages each covers and its id. */
  readonly chunkPages: readonly number[];
  readonly chunkIds: readonly ContentId[];
}

const MAGIC = Buffer.from('MSDB');
const HEAD = 40;
const VERSION = 2;

/** Encodes a state. */
export function encodeDatabaseState(s: DatabaseState): Buffer {
  const b = Buffer.alloc(HEAD + s.nPage * 4 + s.chunkIds.length * 34);
  MAGIC.copy(b, 0);
  b[4] = VERSION;
  b[5] = s.mode === 'wal' ? 1 : 2;
  b.writeUInt32LE(s.pageSize, 8);
  b.writeUInt32LE(s.nPage, 12);
  b.writeUInt32LE(s.mxFrame, 16);
  if (s.salt) b.write(s.salt, 20, 8, 'hex');
  b.writeUInt32LE(s.chunkIds.length, 28);
  b.writeBigUInt64LE(s.fileIno, 32);
  Buffer.from(s.tailHashes.buffer, s.tailHashes.byteOffset, s.nPage * 4).copy(b, HEAD);
  let at = HEAD + s.nPage * 4;
  for (let i = 0; i < s.chunkIds.length; i++) {
    b.writeUInt16LE(s.chunkPages[i]!, at);
    contentIdToBytes(s.chunkIds[i]!).copy(b, at + 2);
    at += 34;
  }
  return b;
}

/** Decodes a state, or undefined when the bytes are not a state this build writes. */
export function decodeDatabaseState(b: Uint8Array | undefined): DatabaseState | undefined {
  if (!b || b.length < HEAD) return undefined;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (!buf.subarray(0, 4).equals(MAGIC) || buf[4] !== VERSION) return undefined;
  const nPage = buf.readUInt32LE(12);
  const count = buf.readUInt32LE(28);
  if (buf.length !== HEAD + nPage * 4 + count * 34) return undefined;
  const tailHashes = new Uint32Array(nPage);
  Buffer.from(tailHashes.buffer).set(buf.subarray(HEAD, HEAD + nPage * 4));
  const chunkPages: number[] = [];
  const chunkIds: ContentId[] = [];
  for (let i = 0, at = HEAD + nPage * 4; i < count; i++, at += 34) {
    chunkPages.push(buf.readUInt16LE(at));
    chunkIds.push(contentIdFromBytes(buf.subarray(at + 2, at + 34)));
  }
  if (chunkPages.reduce((a, n) => a + n, 0) !== nPage) return undefined;
  return {
    mode: buf[5] === 1 ? 'wal' : 'other',
    pageSize: buf.readUInt32LE(8),
    nPage,
    mxFrame: buf.readUInt32LE(16),
    salt: buf[5] === 1 ? buf.subarray(20, 28).toString('hex') : '',
    fileIno: buf.readBigUInt64LE(32),
    tailHashes,
    chunkPages,
    chunkIds,
  };
}
