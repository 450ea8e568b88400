/**
 * Reading a WAL-mode database's committed state directly: the wal-index header (in `-shm`)
 * and the WAL's frames. Used by incremental database capture; every function refuses
 * (returns undefined or throws WalFormatError) on anything it does not fully understand,
 * and callers then fall back to SQLite's own `serialize()`.
 *
 * Facts relied on (SQLite's documented file formats, "WAL-mode file formats"):
 * - `-shm` starts with two identical 48-byte copies of the wal-index header, native byte
 *   order: iVersion u32, unused u32, iChange u32 (bumped by every transaction), isInit u8,
 *   bigEndCksum u8, szPage u16 (1 = 65536), mxFrame u32 (last committed frame), nPage u32
 *   (database size in pages), aFrameCksum 8 B, aSalt 8 B (the WAL header's salt bytes),
 *   aCksum 8 B.
 * - The WAL has a 32-byte header (salts at bytes 16-23) and frames of a 24-byte header
 *   (page number u32 BE, commit size u32 BE, salt 8 B, checksum 8 B) plus one page.
 * - A reader whose transaction started at header H sees: the database file, overlaid with
 *   the newest frame of each page among frames 1..H.mxFrame. While it holds that
 *   transaction, the WAL is not restarted and no checkpoint copies a newer frame into the
 *   database file.
 */
import * as fs from 'node:fs';
import { heldFd, readHeld } from './held-files.js';

/** The wal-index header facts a capture needs. */
export interface WalIndexHeader {
  /** Bumped by every committed transaction. */
  readonly change: number;
  readonly pageSize: number;
  /** Last committed frame (0: the WAL holds nothing committed). */
  readonly mxFrame: number;
  /** Database size in pages. */
  readonly nPage: number;
  /** The WAL generation: its 8 salt bytes, as hex. A restarted WAL has new salts. */
  readonly salt: string;
}

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

/** The wal-index header of `dbFile`, or undefined when there is no usable `-shm`. */
export function readWalIndexHeader(dbFile: string): WalIndexHeader | undefined {
  const fd = heldFd(`${dbFile}-shm`);
  if (fd === undefined) return undefined;
  const b = Buffer.alloc(96);
  if (readHeld(fd, b, 0, 96, 0) !== 96) return undefined;
  if (!b.subarray(0, 48).equals(b.subarray(48, 96)) || b[12] !== 1 || b.readUInt32LE(0) !== 3007000) return undefined;
  const sz = b.readUInt16LE(14);
  return { change: b.readUInt32LE(8), pageSize: sz === 1 ? 65536 : sz, mxFrame: b.readUInt32LE(16), nPage: b.readUInt32LE(20), salt: b.subarray(32, 40).toString('hex') };
}

/** Whether two headers describe the same committed state. */
export function sameWalState(a: WalIndexHeader | undefined, b: WalIndexHeader | undefined): boolean {
  return a !== undefined && b !== undefined && a.change === b.change && a.mxFrame === b.mxFrame && a.nPage === b.nPage && a.salt === b.salt && a.pageSize === b.pageSize;
}

/** Frames of one WAL generation up to a committed frame. */
export interface WalFrames {
  /** Page number → newest frame (1-based) holding it, among frames 1..mxFrame. */
  readonly latest: Map<number, number>;
  /** Page number → newest frame, among frames after `since` only (the pages changed since). */
  readonly changedSince: Map<number, number>;
}

/**
 * Reads the frame headers 1..`header.mxFrame` of `dbFile`'s WAL.
 * @param since frames up to this one were seen by an earlier capture (0: none)
 * @returns undefined when the WAL does not match the header (missing, short, other salts).
 */
export function readWalFrames(dbFile: string, header: WalIndexHeader, since: number): WalFrames | undefined {
  const latest = new Map<number, number>();
  const changedSince = new Map<number, number>();
  if (header.mxFrame === 0) return { latest, changedSince };
  const fd = heldFd(`${dbFile}-wal`);
  if (fd === undefined) return undefined;
  const head = Buffer.alloc(WAL_HEADER_BYTES);
  if (readHeld(fd, head, 0, WAL_HEADER_BYTES, 0) !== WAL_HEADER_BYTES) return undefined;
  if (head.readUInt32BE(8) !== header.pageSize || head.subarray(16, 24).toString('hex') !== header.salt) return undefined;
  const frame = Buffer.alloc(FRAME_HEADER_BYTES);
  for (let i = 1; i <= header.mxFrame; i++) {
    if (readHeld(fd, frame, 0, FRAME_HEADER_BYTES, frameOffset(i, header.pageSize)) !== FRAME_HEADER_BYTES) return undefined;
    if (frame.subarray(8, 16).toString('hex') !== header.salt) return undefined;
    const page = frame.readUInt32BE(0);
    if (page === 0) return undefined;
    latest.set(page, i);
    if (i > since) changedSince.set(page, i);
  }
  return { latest, changedSince };
}

/** Byte offset of frame `i` (1-based) in the WAL file. */
export function frameOffset(i: number, pageSize: number): number {
  return WAL_HEADER_BYTES + (i - 1) * (FRAME_HEADER_BYTES + pageSize);
}

/**
 * Reads the page stored in frame `i` into `into` at `at`, checking the frame still belongs
 * to the WAL generation `salt` (a WAL restarted meanwhile has overwritten it).
 * @throws Error when the WAL is short or the frame is of another generation.
 */
export function readFramePage(walFd: number, i: number, pageSize: number, salt: string, into: Uint8Array, at: number): void {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  if (fs.readSync(walFd, head, 0, FRAME_HEADER_BYTES, frameOffset(i, pageSize)) !== FRAME_HEADER_BYTES) throw new Error(`WAL frame ${i} is short`);
  if (head.subarray(8, 16).toString('hex') !== salt) throw new Error(`WAL frame ${i} belongs to another generation`);
  const n = fs.readSync(walFd, into, at, pageSize, frameOffset(i, pageSize) + FRAME_HEADER_BYTES);
  if (n !== pageSize) throw new Error(`WAL frame ${i} is short`);
}

/**
 * Throws unless the WAL file still carries generation `salt`. Called after the last frame
 * read: a reader that SQLite started on read-lock 0 does not stop another writer from
 * restarting the WAL, and a restart rewrites the header before frame 1.
 */
export function assertWalGeneration(walFd: number, salt: string): void {
  const head = Buffer.alloc(WAL_HEADER_BYTES);
  if (fs.readSync(walFd, head, 0, WAL_HEADER_BYTES, 0) !== WAL_HEADER_BYTES || head.subarray(16, 24).toString('hex') !== salt) {
    throw new Error('the WAL was restarted while it was read');
  }
}
