/**
 * Reads a bundle stream and hands its verified objects to a visitor, trusting nothing.
 *
 * Layers, outside in: an optional age envelope (recognized by its first line), the zstd
 * stream (recognized by its magic; anything else is "not a bundle"), decompressed only as
 * fast as it is consumed and never beyond what the manifest can explain (decompression
 * bombs; see bounded-decompress.ts), and the tar archive. Each tar entry must be a regular file with one of the exact names of the
 * format (no paths: nothing from a bundle is ever used as a file name), within the size
 * limits, the manifest first. Each object is checked by {@link BundleChecker} before the
 * visitor sees it. Memory: one entry (at most 16 MiB) plus the checker's id sets.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { CorruptBundleError, MemsnapError } from '../errors/index.js';
import { contentIdFromBytes, type ContentId } from '../hash/index.js';
import type { ProgressCallback } from '../cas/index.js';
import { AGE_ARMOR_MAGIC, AGE_MAGIC, decryptStream, type BundleDecryption } from './bundle-encryption.js';
import { BundleChecker, type BundleSnapshot } from './bundle-checker.js';
import { boundedDecompress, type ByteCap } from './bounded-decompress.js';
import {
  DEFAULT_MAX_BUNDLE_BYTES,
  EXTERNAL_ENTRY,
  MANIFEST_ENTRY,
  MAX_ENTRY_BYTES,
  MAX_EXTERNAL_IDS,
  MAX_MANIFEST_BYTES,
  TAR_BYTES_PER_ENTRY,
  ZSTD_MAGIC,
  decodeManifest,
  parseEntryName,
  type BundleEntryKind,
  type BundleManifest,
} from './bundle-format.js';

/** Options for reading a bundle. */
export interface ReadBundleOptions {
  /** Keys for an age-encrypted bundle. */
  readonly decryption?: BundleDecryption;
  /** Absolute cap on decompressed bytes, whatever the manifest says. Default 1 TiB. */
  readonly maxBytes?: number;
  /** Ids the checker keeps in memory (per map) before spilling to a temporary file. Default 262,144. */
  readonly maxIdsInMemory?: number;
  /** Progress in bytes of object entries read, out of the manifest's total. */
  readonly onProgress?: ProgressCallback;
}

/** What a reader hands on. Called in stream order; a throw aborts the read. */
export interface BundleVisitor {
  /** The manifest and the ids the bases must provide (sorted), before any object. */
  manifest?(manifest: BundleManifest, external: readonly ContentId[]): void | Promise<void>;
  /** One verified object. `bytes` is the visitor's to keep. */
  entry?(kind: BundleEntryKind, id: ContentId, bytes: Buffer): void | Promise<void>;
}

/** What a complete, verified read saw. */
export interface BundleReadResult {
  readonly manifest: BundleManifest;
  /** What the snapshot roots say, by id. */
  readonly snapshots: ReadonlyMap<ContentId, BundleSnapshot>;
  /** Number of ids the bases must provide (incremental bundles). */
  readonly external: number;
  readonly entries: number;
  readonly bytes: number;
  /** Whether the bundle was age-encrypted. */
  readonly encrypted: boolean;
}

/**
 * Reads, verifies and visits a whole bundle.
 * @throws CorruptBundleError (not a bundle, hostile or damaged entry, truncated stream, bomb,
 *   incomplete bundle), UnsupportedVersionError, DecryptionFailedError, or what the visitor throws.
 */
export async function readBundle(input: Readable, visitor: BundleVisitor = {}, options: ReadBundleOptions = {}): Promise<BundleReadResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  const { stream, encrypted } = await openEnvelope(input, options);
  const limit: ByteCap = { limit: Math.min(maxBytes, MAX_MANIFEST_BYTES + 64 * 1024), why: 'before its manifest', seen: 0 };
  const extract = tar.extract();
  // Errors are named by the stage that raised them, not by their wording.
  const stageOf = new Map<unknown, string>();
  const decompress = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    try {
      yield* boundedDecompress(source, limit);
    } catch (err) {
      stageOf.set(err, '(zstd stream)');
      throw err;
    }
  };
  extract.on('error', (err) => void (stageOf.has(err) || stageOf.set(err, '(tar stream)')));
  let failure: unknown;
  const piping = pipeline(stream, decompress, extract).catch((err: unknown) => {
    failure ??= err;
  });
  let checker: BundleChecker | undefined;
  let external: ContentId[] = [];
  let manifest: BundleManifest | undefined;
  let first = true;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const name = h.name;
      if (h.type !== 'file') throw new CorruptBundleError(name, `entry of type ${String(h.type)}; bundles hold only regular files`);
      const size = h.size ?? 0;
      if (first) {
        if (name !== MANIFEST_ENTRY) throw new CorruptBundleError(name, `the first entry must be ${MANIFEST_ENTRY}: not a memsnap bundle`);
        if (size > MAX_MANIFEST_BYTES) throw new CorruptBundleError(name, `manifest of ${size} bytes exceeds ${MAX_MANIFEST_BYTES}`);
        manifest = decodeManifest(await readEntry(entry, size, name));
        limit.limit = Math.min(maxBytes, promisedBytes(manifest, size));
        limit.why = `the manifest promises ${manifest.entries} entries of ${manifest.bytes} bytes`;
        if (limit.seen > limit.limit) throw new CorruptBundleError('(zstd stream)', `decompresses to more than ${limit.limit} bytes (${limit.why}): refused as a decompression bomb`);
        first = false;
        if (manifest.external === 0) {
          checker = new BundleChecker(manifest, external, options.maxIdsInMemory);
          await visitor.manifest?.(manifest, external);
        }
        continue;
      }
      if (!checker) {
        if (name !== EXTERNAL_ENTRY) throw new CorruptBundleError(name, `expected ${EXTERNAL_ENTRY} after the manifest (it announces ${manifest!.external} external ids)`);
        if (manifest!.external > MAX_EXTERNAL_IDS) throw new CorruptBundleError(name, `announces ${manifest!.external} external ids, more than the ${MAX_EXTERNAL_IDS} allowed`);
        if (size !== 32 * manifest!.external) throw new CorruptBundleError(name, `holds ${size} bytes, the manifest announces ${manifest!.external} ids of 32 bytes`);
        external = parseExternal(await readEntry(entry, size, name), name);
        checker = new BundleChecker(manifest!, external, options.maxIdsInMemory);
        await visitor.manifest?.(manifest!, external);
        external = []; // the checker holds them now (spilled when many)
        continue;
      }
      const parsed = parseEntryName(name);
      if (!parsed) throw new CorruptBundleError(name, name === MANIFEST_ENTRY || name === EXTERNAL_ENTRY ? 'appears twice' : 'not a bundle entry name (expected snapshot/, tree/, list/ or chunk/ and a 64-hex id)');
      if (size > MAX_ENTRY_BYTES) throw new CorruptBundleError(name, `entry of ${size} bytes exceeds the ${MAX_ENTRY_BYTES}-byte limit`);
      const bytes = await readEntry(entry, size, name);
      await checker.accept(parsed.kind, parsed.id, bytes);
      if (checker.entries === manifest!.entries) {
        // Everything announced has arrived: only the tar end blocks may follow.
        limit.limit = Math.min(limit.limit, limit.seen + TRAILER_SLACK);
        limit.why = 'after the last entry the manifest announces';
      }
      await visitor.entry?.(parsed.kind, parsed.id, bytes);
      options.onProgress?.({ phase: 'bundle', done: checker.bytes, total: manifest!.bytes, unit: 'bytes' });
    }
    await piping;
    if (failure !== undefined) throw failure;
  } catch (err) {
    // Our own refusals (checker, visitor, limits) come first; a stream error that ended the
    // iteration is reported by the stage that failed, not as the iterator's "premature close".
    const ours = err instanceof MemsnapError;
    extract.destroy();
    stream.destroy();
    await piping;
    checker?.close();
    throw ours ? err : translate(failure ?? err, stageOf);
  }
  if (!manifest) throw new CorruptBundleError('(end)', 'the stream holds no entries: not a memsnap bundle');
  if (!checker) throw new CorruptBundleError(EXTERNAL_ENTRY, `missing: the manifest announces ${manifest.external} external ids (truncated?)`);
  const externalCount = checker.externalCount;
  try {
    checker.finish();
  } finally {
    checker.close();
  }
  return { manifest, snapshots: checker.snapshots, external: externalCount, entries: checker.entries, bytes: checker.bytes, encrypted };
}

/**
 * Recognizes the outer layers: refuses armored age and anything that is not zstd, opens an
 * age envelope. Returns the zstd stream (its first bytes already checked).
 */
async function openEnvelope(input: Readable, options: ReadBundleOptions): Promise<{ stream: Readable; encrypted: boolean }> {
  let { head, stream } = await sniff(input, AGE_MAGIC.length);
  let encrypted = false;
  if (head.length >= 14 && AGE_ARMOR_MAGIC.subarray(0, head.length).equals(head.subarray(0, AGE_ARMOR_MAGIC.length))) {
    stream.destroy();
    throw new CorruptBundleError('(start)', 'this is an armored age file; decrypt it with `age -d` or export without armor');
  }
  if (head.length >= AGE_MAGIC.length && head.subarray(0, AGE_MAGIC.length).equals(AGE_MAGIC)) {
    encrypted = true;
    ({ head, stream } = await sniff(await decryptStream(stream, options.decryption), ZSTD_MAGIC.length));
  }
  if (head.length < ZSTD_MAGIC.length || !head.subarray(0, 4).equals(ZSTD_MAGIC)) {
    stream.destroy();
    throw new CorruptBundleError('(start)', head.length === 0 ? 'empty input: not a memsnap bundle' : `not a memsnap bundle (starts with bytes ${head.subarray(0, 8).toString('hex')}, expected a zstd stream or an age file)`);
  }
  return { stream, encrypted };
}

/** Decompressed bytes allowed after the last announced entry (tar end blocks, read-ahead). */
const TRAILER_SLACK = 1 << 20;

/** Decompressed bytes the manifest can explain: entries, tar headers and padding, slack for the end blocks. */
function promisedBytes(m: BundleManifest, manifestSize: number): number {
  return TAR_BYTES_PER_ENTRY * (m.entries + 2) + manifestSize + 32 * m.external + m.bytes + 64 * 1024;
}

async function readEntry(entry: AsyncIterable<unknown>, size: number, name: string): Promise<Buffer> {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for await (const raw of entry) {
    const piece = raw as Buffer;
    if (at + piece.length > size) throw new CorruptBundleError(name, `longer than its header's ${size} bytes`);
    piece.copy(out, at);
    at += piece.length;
  }
  if (at !== size) throw new CorruptBundleError(name, `truncated: ${at} of ${size} bytes`);
  return out;
}

function parseExternal(bytes: Buffer, name: string): ContentId[] {
  const ids: ContentId[] = [];
  for (let at = 0; at < bytes.length; at += 32) {
    const id = contentIdFromBytes(bytes.subarray(at, at + 32));
    if (ids.length > 0 && !(ids[ids.length - 1]! < id)) throw new CorruptBundleError(name, 'ids not sorted or repeated');
    ids.push(id);
  }
  return ids;
}

/** Names zstd and tar failures as a refused bundle (by the stage that raised them); keeps memsnap errors and I/O errors of the input. */
function translate(err: unknown, stageOf: ReadonlyMap<unknown, string>): unknown {
  if (err instanceof MemsnapError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const stage = stageOf.get(err);
  if (stage === '(zstd stream)') return new CorruptBundleError(stage, `${msg} (damaged or truncated)`, err);
  if (stage === '(tar stream)') return new CorruptBundleError(stage, /unexpected end/i.test(msg) ? `truncated: ${msg}` : msg, err);
  if (/premature close/i.test(msg)) return new CorruptBundleError('(stream)', 'the stream ended early: truncated bundle', err);
  return err;
}

/** Reads the first `n` bytes (fewer at end of stream) and returns them with a stream that still yields everything. */
async function sniff(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    parts.push(b);
    have += b.length;
  }
  const head = Buffer.concat(parts);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  const stream = Readable.from(rest(), { objectMode: false });
  stream.on('close', () => void it.return?.());
  return { head: head.subarray(0, n), stream };
}
