/**
 * Export: plan which objects a bundle needs, then stream them out.
 *
 * The plan walks the snapshots (depth first, each id once) and notes every object in the
 * order first reached; with bases, it first walks the bases and leaves out everything they
 * reach, listing the ids where the walk stopped as `external-ids`. The write streams each
 * object from the store (located 256 at a time, read and verified one by one) into tar,
 * zstd (and age), so memory holds one chunk plus the plan, never the bundle's bytes. The
 * plan's id sets spill to a temporary SQLite file past `maxIdsInMemory` ids (about 150
 * bytes each in memory; a 137 MB agent has 31k objects), so memory stays bounded however
 * large the snapshots; only the external ids (32 bytes each) are held whole.
 *
 * Deterministic: the same snapshots, bases and level give the same bytes (fixed tar
 * headers, walk order, zstd with fixed parameters and worker count). age encryption adds
 * a random file key.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { CompressStream } from 'zstd-napi';
import { InvalidArgumentError } from '../errors/index.js';
import { contentIdToBytes, type ContentId } from '../hash/index.js';
import type { ProgressCallback } from '../cas/index.js';
import { walkReachable, type Repository } from '../snapshot/index.js';
import { encryptStream, type BundleEncryption } from './bundle-encryption.js';
import { SpillingIdMap } from '../snapshot/index.js';
import { BUNDLE_ENTRY_KINDS, BUNDLE_FORMAT, BUNDLE_VERSION, MAX_EXTERNAL_IDS, DEFAULT_BUNDLE_LEVEL, EXTERNAL_ENTRY, MANIFEST_ENTRY, encodeManifest, entryName, type BundleManifest } from './bundle-format.js';

/** What to export. */
export interface ExportOptions {
  /** Snapshot ids to include, in this order (several share their chunks). At least one. */
  readonly snapshots: readonly ContentId[];
  /** Snapshots the receiver already has: what they reach is left out (incremental bundle). */
  readonly bases?: readonly ContentId[];
  /** zstd level 1..19 of the bundle stream. Default 3. */
  readonly level?: number;
  /** Encrypt the bundle with age. */
  readonly encryption?: BundleEncryption;
  /** Ids the plan keeps in memory before it spills to a temporary file. Default 262,144. */
  readonly maxIdsInMemory?: number;
  /** Progress in bytes of objects written. */
  readonly onProgress?: ProgressCallback;
}

/** The objects of a bundle, in write order. Holds a temporary file once large: call `close`. */
export interface ExportPlan {
  readonly manifest: BundleManifest;
  /** Every object to write, in order, with its kind's code (an index into {@link BUNDLE_ENTRY_KINDS}). */
  readonly objects: SpillingIdMap;
  /** Ids referenced but provided by the bases, sorted. */
  readonly external: readonly ContentId[];
  close(): void;
}

/** What an export wrote. */
export interface ExportResult {
  readonly manifest: BundleManifest;
  /** Bytes of the bundle written to the output (compressed, and encrypted if asked). */
  readonly bundleBytes: number;
  readonly encrypted: boolean;
}

/**
 * Plans a bundle (see the module comment).
 * @throws InvalidArgumentError for no snapshots or repeated ones; NotFoundError, CorruptChunkError from reads.
 */
export async function planExport(repo: Repository, options: Pick<ExportOptions, 'snapshots' | 'bases' | 'maxIdsInMemory'>): Promise<ExportPlan> {
  const snapshots = [...options.snapshots];
  const bases = [...(options.bases ?? [])];
  if (snapshots.length === 0) throw new InvalidArgumentError('export needs at least one snapshot');
  if (new Set(snapshots).size !== snapshots.length) throw new InvalidArgumentError('a snapshot is named twice');
  const inBase = new SpillingIdMap(options.maxIdsInMemory);
  const objects = new SpillingIdMap(options.maxIdsInMemory);
  const external = new SpillingIdMap(options.maxIdsInMemory);
  try {
    await walkReachable(repo, new Set(bases), (id) => {
      if (inBase.has(id)) return false;
      inBase.set(id, 1);
      return true;
    });
    await walkReachable(repo, snapshots, (id, kind) => {
      if (kind !== 'snapshot' && inBase.has(id)) {
        external.set(id, 1);
        return false;
      }
      if (objects.has(id)) return false;
      objects.set(id, BUNDLE_ENTRY_KINDS.indexOf(kind));
      return true;
    });
    inBase.close();
    let bytes = 0;
    for (const batch of batches(objects.keys(), 4096)) for (const loc of repo.chunks.index.lookupMany(batch).values()) bytes += loc.rawLength;
    const manifest: BundleManifest = { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, snapshots, bases, entries: objects.size, bytes, external: external.size };
    if (external.size > MAX_EXTERNAL_IDS) throw new InvalidArgumentError(`the bases leave ${external.size} objects outside the bundle, more than the ${MAX_EXTERNAL_IDS} a bundle may list; export a full bundle`);
    const sorted = [...external.sortedKeys()];
    external.close();
    return { manifest, objects, external: sorted, close: () => objects.close() };
  } catch (err) {
    for (const m of [inBase, objects, external]) m.close();
    throw err;
  }
}

/** Groups an iterable into arrays of `size`. */
function* batches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/**
 * Writes a bundle of `options.snapshots` to `out` and ends it.
 * @throws InvalidArgumentError (bad options or keys), NotFoundError / CorruptChunkError when
 *   the store lacks or has damaged an object (the output is then incomplete: write to a
 *   temporary file and rename on success).
 */
export async function exportBundle(repo: Repository, out: Writable, options: ExportOptions): Promise<ExportResult> {
  const level = options.level ?? DEFAULT_BUNDLE_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 19) throw new InvalidArgumentError(`bundle zstd level must be 1..19, got ${level}`);
  const plan = await planExport(repo, options);
  try {
    return await writePlan(repo, out, plan, level, options);
  } finally {
    plan.close();
  }
}

async function writePlan(repo: Repository, out: Writable, plan: ExportPlan, level: number, options: ExportOptions): Promise<ExportResult> {
  const pack = tar.pack();
  // zstd's own threads compress while this thread reads chunks (measured ~30% faster on 2
  // cores). Multi-threaded zstd output depends only on the input and parameters, never on
  // timing, and nbWorkers is fixed (not the machine's core count), so bundles stay identical.
  const zstd = new CompressStream({ compressionLevel: level, checksumFlag: true, nbWorkers: 2 });
  let bundleBytes = 0;
  const counter = new PassThrough();
  counter.on('data', (b: Buffer) => (bundleBytes += b.length));
  let piping: Promise<unknown>;
  if (options.encryption) {
    const compressed = new PassThrough();
    const encrypted = await encryptStream(compressed, options.encryption);
    piping = Promise.all([pipeline(pack as unknown as Readable, zstd, compressed), pipeline(encrypted, counter, out)]);
  } else {
    piping = pipeline(pack as unknown as Readable, zstd, counter, out);
  }
  let failure: unknown;
  const watched = piping.catch((err: unknown) => {
    failure ??= err;
  });
  try {
    await writeEntries(repo, pack, plan, options.onProgress);
    pack.finalize();
  } catch (err) {
    failure ??= err;
    pack.destroy(err as Error);
  }
  await watched;
  if (failure !== undefined) throw failure;
  return { manifest: plan.manifest, bundleBytes, encrypted: options.encryption !== undefined };
}

async function writeEntries(repo: Repository, pack: tar.Pack, plan: ExportPlan, onProgress: ProgressCallback | undefined): Promise<void> {
  await addEntry(pack, MANIFEST_ENTRY, encodeManifest(plan.manifest));
  if (plan.external.length > 0) await addEntry(pack, EXTERNAL_ENTRY, Buffer.concat(plan.external.map(contentIdToBytes)));
  let done = 0;
  for (const batch of batches(plan.objects.entries(), 256)) {
    let j = 0;
    for await (const bytes of repo.chunks.getMany(batch.map(([id]) => id))) {
      const [id, code] = batch[j++]!;
      await addEntry(pack, entryName(BUNDLE_ENTRY_KINDS[code]!, id), bytes);
      done += bytes.length;
      onProgress?.({ phase: 'export', done, total: plan.manifest.bytes, unit: 'bytes' });
    }
  }
}

/** One tar entry with fixed metadata; resolves once the archive took it (backpressure). */
function addEntry(pack: tar.Pack, name: string, bytes: Uint8Array): Promise<void> {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: buf.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '', type: 'file' }, buf, (err) => (err ? reject(err) : resolve()));
  });
}
