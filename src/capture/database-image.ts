/**
 * Capturing one database image as chunks, with cost that follows the change.
 *
 * Three ways, tried in order, each giving exactly the bytes SQLite's `serialize()` would:
 * 1. Incremental (WAL mode, same WAL generation as the previous capture): only pages in
 *    frames committed since then are read; cuts are recomputed from the remembered tail
 *    hashes; chunks untouched by a changed page keep their ids without being read.
 * 2. Direct: the database file read under the open read transaction, overlaid with the
 *    WAL's committed frames (WAL mode) or as it is (rollback mode: our shared lock keeps
 *    writers out of the file).
 * 3. `serialize()` through SQLite, whenever the layout is not fully understood.
 * Any surprise in 1 or 2 falls back to the next way; none can produce a wrong image
 * silently as long as the facts in sqlite-wal.ts hold (tests compare with serialize()).
 */
import * as fs from 'node:fs';
import { heldFd, readHeld } from './held-files.js';
import { MemsnapError } from '../errors/index.js';
import { pageChunker, pageTailHash, PAGE_TAIL_BYTES, type PageChunker } from '../chunker/index.js';
import { hashContent, type ContentId } from '../hash/index.js';
import { ingestBuffer } from '../ingest/index.js';
import type { ContentRef, ListNodeMemo } from '../snapshot/index.js';
import { storeIngested, type ContentSink } from './content-writer.js';
import { idsToBytes, type DatabaseState } from './database-state.js';
import { headerPageSize, SQLITE_HEADER, type SqliteReadCut } from './sqlite-image.js';
import { assertWalGeneration, readFramePage, readWalFrames, type WalFrames, type WalIndexHeader } from './sqlite-wal.js';

/** How a database image was captured. */
export type DatabaseCaptureWay = 'incremental' | 'direct' | 'serialize';

/** One captured database image. */
export interface DatabaseCapture {
  readonly content: ContentRef;
  readonly pageSize: number;
  /** What to remember for the next capture. */
  readonly state: DatabaseState;
  readonly way: DatabaseCaptureWay;
  /** Bytes of the image read (all of it, or the changed chunks). */
  readonly bytesRead: number;
}

/**
 * Captures the image `cut` holds.
 * @param previous the state remembered from the previous capture of this database, if any
 * @param verify also serialize() and check the result is identical (slow; for tests)
 * @param memo the list nodes of this database's previous capture (kept up to date)
 */
export async function captureDatabaseImage(cut: SqliteReadCut, sink: ContentSink, chunkerName: string, previous: DatabaseState | undefined, verify = false, memo?: ListNodeMemo): Promise<DatabaseCapture> {
  const result = await tryWays(cut, sink, chunkerName, previous, memo);
  if (verify) {
    const expected = await fullCapture(cut.image(), cut.pageSize, sink, chunkerName, 'serialize', { ...otherPosition, fileIno: 0n });
    if (JSON.stringify(expected.state.chunkIds) !== JSON.stringify(result.state.chunkIds)) {
      throw new Error(`${result.way} capture of ${cut.file} differs from serialize()`);
    }
  }
  return result;
}

async function tryWays(cut: SqliteReadCut, sink: ContentSink, chunkerName: string, previous: DatabaseState | undefined, memo: ListNodeMemo | undefined): Promise<DatabaseCapture> {
  const layout = cut.layout;
  const { pageSize, pageCount } = cut;
  const fileIno = fs.statSync(cut.file, { bigint: true }).ino;
  if (layout.mode === 'wal') {
    const h = layout.header;
    const prev =
      previous?.mode === 'wal' && previous.fileIno === fileIno && previous.salt === h.salt && previous.pageSize === h.pageSize && previous.mxFrame <= h.mxFrame
        ? previous
        : undefined;
    const frames = readWalFrames(cut.file, h, prev?.mxFrame ?? 0);
    if (frames) {
      const position = { mode: 'wal' as const, mxFrame: h.mxFrame, salt: h.salt, fileIno };
      const incremental = prev ? await captureIncrementally(cut.file, pageSize, pageCount, h, frames, prev, sink, chunkerName, memo).catch(unlessOurs) : undefined;
      if (incremental) return incremental;
      const image = tryQuietly(() => readImage(cut.file, pageSize, pageCount, frames, h.salt));
      if (image) return fullCapture(image, pageSize, sink, chunkerName, 'direct', position, memo);
    }
  } else if (layout.mode === 'rollback') {
    const image = tryQuietly(() => readImage(cut.file, pageSize, pageCount, undefined));
    if (image) return fullCapture(image, pageSize, sink, chunkerName, 'direct', { ...otherPosition, fileIno }, memo);
  }
  return fullCapture(cut.image(), pageSize, sink, chunkerName, 'serialize', { ...otherPosition, fileIno }, memo);
}

const otherPosition = { mode: 'other' as const, mxFrame: 0, salt: '' };

/** Store failures propagate; anything else about reading the files means: take the next way. */
function unlessOurs(err: unknown): undefined {
  if (err instanceof MemsnapError) throw err;
  return undefined;
}

function tryQuietly<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined; // any surprise: the caller takes the next, safer way
  }
}

/**
 * Reads one page (1-based) from its newest committed WAL frame or else the database file,
 * through held descriptors (never closed: see held-files.ts).
 */
class PageReader {
  private readonly dbFd: number;
  private readonly walFd: number | undefined;

  constructor(
    file: string,
    readonly pageSize: number,
    private readonly frames: WalFrames | undefined,
    private readonly salt = '',
  ) {
    const db = heldFd(file);
    if (db === undefined) throw new Error(`${file} vanished`);
    this.dbFd = db;
    this.walFd = frames && frames.latest.size > 0 ? heldFd(`${file}-wal`) : undefined;
    if (frames && frames.latest.size > 0 && this.walFd === undefined) throw new Error(`${file}-wal vanished`);
  }

  read(page: number, into: Uint8Array, at: number): void {
    const frame = this.frames?.latest.get(page);
    if (frame !== undefined) return readFramePage(this.walFd!, frame, this.pageSize, this.salt, into, at);
    if (readHeld(this.dbFd, into, at, this.pageSize, (page - 1) * this.pageSize) !== this.pageSize) throw new Error(`page ${page} is beyond the database file`);
  }

  /** Throws when the WAL was restarted since the frames were listed (their content may be gone). */
  assertStillValid(): void {
    if (this.walFd !== undefined) assertWalGeneration(this.walFd, this.salt);
  }

  /** The database file's descriptor (for whole-image reads). */
  get databaseFd(): number {
    return this.dbFd;
  }
}

/** The whole image: the file's pages, overlaid with committed WAL frames. */
function readImage(file: string, pageSize: number, nPage: number, frames: WalFrames | undefined, salt = ''): Buffer {
  const image = Buffer.allocUnsafe(pageSize * nPage);
  const reader = new PageReader(file, pageSize, frames, salt);
  const got = readHeld(reader.databaseFd, image, 0, image.length, 0);
  // Pages past the file's end exist only in the WAL; each must come from a frame below.
  for (const page of frames?.latest.keys() ?? []) if (page <= nPage) reader.read(page, image, (page - 1) * pageSize);
  for (let page = Math.floor(got / pageSize) + 1; page <= nPage; page++) if (!frames?.latest.has(page)) throw new Error(`page ${page} is missing`);
  reader.assertStillValid();
  if (nPage > 0 && (!image.subarray(0, 16).equals(SQLITE_HEADER) || headerPageSize(image) !== pageSize)) throw new Error('image header does not match');
  return image;
}

async function fullCapture(image: Buffer, pageSize: number, sink: ContentSink, chunkerName: string, way: DatabaseCaptureWay, position: Pick<DatabaseState, 'mode' | 'mxFrame' | 'salt' | 'fileIno'>, memo?: ListNodeMemo): Promise<DatabaseCapture> {
  if (image.length % pageSize !== 0) throw new Error(`database image of ${image.length} bytes is not whole ${pageSize}-byte pages`);
  const chunker = pageChunker(chunkerName, pageSize);
  const ingested = await ingestBuffer(sink, image, chunker);
  const state: DatabaseState = {
    ...position,
    pageSize,
    nPage: image.length / pageSize,
    tailHashes: chunker.tailHashes(image),
    chunkPages: ingested.lengths.map((n) => n / pageSize),
    chunkIds: ingested.ids,
    idBytes: idsToBytes(ingested.ids),
  };
  return { content: await storeIngested(sink, ingested, memo), pageSize, state, way, bytesRead: image.length };
}

/** Way 1; undefined when the previous state cannot be carried forward. */
async function captureIncrementally(file: string, pageSize: number, nPage: number, h: WalIndexHeader, frames: WalFrames, prev: DatabaseState, sink: ContentSink, chunkerName: string, memo: ListNodeMemo | undefined): Promise<DatabaseCapture | undefined> {
  if (nPage === 0 || prev.pageSize !== pageSize) return undefined;
  const chunker: PageChunker = pageChunker(chunkerName, pageSize);
  const changed = new Uint8Array(nPage + 1);
  for (const page of frames.changedSince.keys()) if (page <= nPage) changed[page] = 1;
  // Pages the database grew by can only have arrived through the WAL.
  for (let page = prev.nPage + 1; page <= nPage; page++) if (!changed[page]) return undefined;
  const tails = new Uint32Array(nPage);
  tails.set(prev.tailHashes.subarray(0, Math.min(prev.nPage, nPage)));
  const reader = new PageReader(file, pageSize, frames, h.salt);
  const page = Buffer.allocUnsafe(pageSize);
  for (let p = 1; p <= nPage; p++) {
    if (!changed[p]) continue;
    reader.read(p, page, 0);
    tails[p - 1] = pageTailHash(page, pageSize - PAGE_TAIL_BYTES);
  }
  // changedUpTo[p]: how many pages among 1..p changed (a chunk is unchanged when its span adds none).
  const changedUpTo = new Uint32Array(nPage + 1);
  for (let p = 1; p <= nPage; p++) changedUpTo[p] = changedUpTo[p - 1]! + changed[p]!;
  const chunkPages = chunker.cutPages(tails);
  const chunkIds: ContentId[] = new Array(chunkPages.length);
  const idBytes = Buffer.alloc(chunkPages.length * 32);
  let bytesRead = 0;
  // Walk the previous chunks alongside (both lists are in page order); copy runs of reused ids at once.
  let i = 0;
  let prevStart = 1;
  let run: { from: number; to: number; length: number } | undefined;
  const flushRun = (): void => {
    if (run) idBytes.set(prev.idBytes.subarray(run.from * 32, (run.from + run.length) * 32), run.to * 32);
    run = undefined;
  };
  let start = 1;
  for (let c = 0; c < chunkPages.length; c++) {
    const pages = chunkPages[c]!;
    while (i < prev.chunkPages.length && prevStart < start) prevStart += prev.chunkPages[i++]!;
    if (i < prev.chunkPages.length && prevStart === start && prev.chunkPages[i] === pages && changedUpTo[start + pages - 1] === changedUpTo[start - 1]) {
      chunkIds[c] = prev.chunkIds[i]!;
      if (run && run.from + run.length === i && run.to + run.length === c) run.length++;
      else {
        flushRun();
        run = { from: i, to: c, length: 1 };
      }
    } else {
      const bytes = Buffer.allocUnsafe(pages * pageSize);
      for (let p = 0; p < pages; p++) reader.read(start + p, bytes, p * pageSize);
      const id = hashContent(bytes);
      await sink.putWithId(id, bytes);
      bytesRead += bytes.length;
      chunkIds[c] = id;
      idBytes.write(id, c * 32, 32, 'hex');
    }
    start += pages;
  }
  flushRun();
  // Every page is read: if the WAL was restarted meanwhile, some may be wrong. Take another way.
  reader.assertStillValid();
  const state: DatabaseState = { mode: 'wal', pageSize, nPage, mxFrame: h.mxFrame, salt: h.salt, fileIno: prev.fileIno, tailHashes: tails, chunkPages, chunkIds, idBytes };
  const content = await storeIngested(sink, { ids: chunkIds, lengths: chunkPages.map((pages) => pages * pageSize) }, memo);
  return { content, pageSize, state, way: 'incremental', bytesRead };
}
