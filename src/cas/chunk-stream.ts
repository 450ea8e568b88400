/**
 * The bulk read path: many chunks, in order, verified, with the work spread out.
 *
 * Ids are looked up a window at a time (one index read transaction); each window is cut into
 * jobs of about `batchBytes`; a job's payloads are read with few range reads
 * (payload-batch.ts) and decoded and hashed on worker threads (verify-pool.ts). Jobs run up
 * to `aheadBytes` ahead of the consumer, so its own work (writing files) overlaps the reading
 * and verifying. Chunks come out one job at a time, as arrays, so a consumer pays one await
 * per job rather than per chunk. A chunk the batch could not verify (missing or short pack,
 * damage, a worker that died) is read again alone through `readAlone`, which throws the
 * precise error (naming pack and offset) or finds the chunk moved by a collection.
 */
import { NotFoundError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import type { ObjectBackend } from './backend/object-backend.js';
import type { ChunkIndex, ChunkLocation } from './chunk-index.js';
import { readPayloads } from './payload-batch.js';
import { sharedVerifyPool, type VerifyPool } from './verify-pool.js';

/** Options of {@link readChunkStream}. */
export interface ChunkStreamOptions {
  /** Where payloads are verified. Default: the process-wide {@link sharedVerifyPool}. */
  readonly pool?: VerifyPool;
  /** Raw bytes per verification job. Default 1 MiB. */
  readonly batchBytes?: number;
  /** Raw bytes read and verified ahead of the consumer before it must catch up. Default 4 MiB. */
  readonly aheadBytes?: number;
}

/** What the stream reads through. */
export interface ChunkStreamSource {
  readonly backend: Pick<ObjectBackend, 'getRange'>;
  readonly index: Pick<ChunkIndex, 'lookupMany'>;
  /** Reads and verifies one chunk alone (the slow path); throws the precise error. */
  readAlone(loc: ChunkLocation): Promise<Uint8Array>;
}

/** Ids looked up at once (one index read transaction). */
const LOOKUP_WINDOW = 1024;

/** A slice of the ids: their locations (undefined when not indexed) and raw bytes. */
interface Job {
  readonly ids: ContentId[];
  readonly locations: (ChunkLocation | undefined)[];
  bytes: number;
}

/** A job read and verified: the located chunks' bytes in order (undefined: read alone). */
interface ReadJob {
  readonly job: Job;
  readonly chunks: (Uint8Array | undefined)[];
  readonly error?: unknown;
}

/**
 * The verified bytes of the chunks named by `groups` (ids in order, in groups of any size),
 * yielded as arrays in the same order. See the module comment.
 * @throws NotFoundError for an id the index does not have; CorruptChunkError from `readAlone`.
 *   Both are thrown when the consumer reaches that id, after the chunks before it.
 */
export async function* readChunkStream(
  source: ChunkStreamSource,
  groups: Iterable<readonly ContentId[]> | AsyncIterable<readonly ContentId[]>,
  options: ChunkStreamOptions = {},
): AsyncGenerator<Uint8Array[]> {
  const pool = options.pool ?? sharedVerifyPool();
  void pool.start();
  const batchBytes = options.batchBytes ?? 1 << 20;
  const aheadBytes = options.aheadBytes ?? 4 << 20;
  const queue: Promise<ReadJob>[] = [];
  let queued = 0;
  let window: ContentId[] = [];
  const submit = (): void => {
    const found = source.index.lookupMany(window);
    for (const job of splitJobs(window, found, batchBytes)) {
      queue.push(readJob(source, job, pool));
      queued += job.bytes;
    }
    window = [];
  };
  for await (const group of groups) {
    for (const id of group) window.push(id);
    if (window.length < LOOKUP_WINDOW) continue;
    submit();
    while (queued > aheadBytes && queue.length > 1) {
      const done = await queue.shift()!;
      queued -= done.job.bytes;
      yield* handOut(await finishJob(source, done));
    }
    // Let the event loop turn between windows: the hashing addon frees its buffers only then.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (window.length > 0) submit();
  while (queue.length > 0) yield* handOut(await finishJob(source, await queue.shift()!));
}

/** Yields a finished job's chunks (when any), then throws its error (when any). */
function* handOut(finished: { chunks: Uint8Array[]; error?: unknown }): Generator<Uint8Array[]> {
  if (finished.chunks.length > 0) yield finished.chunks;
  if (finished.error !== undefined) throw finished.error;
}

/** Cuts a window of ids into jobs of about `batchBytes` raw bytes. */
function splitJobs(ids: readonly ContentId[], found: ReadonlyMap<ContentId, ChunkLocation>, batchBytes: number): Job[] {
  const jobs: Job[] = [];
  let job: Job = { ids: [], locations: [], bytes: 0 };
  for (const id of ids) {
    const loc = found.get(id);
    job.ids.push(id);
    job.locations.push(loc);
    job.bytes += loc?.rawLength ?? 0;
    if (job.bytes >= batchBytes) {
      jobs.push(job);
      job = { ids: [], locations: [], bytes: 0 };
    }
  }
  if (job.ids.length > 0) jobs.push(job);
  return jobs;
}

/** Reads and verifies one job's payloads; never rejects (an error is kept for the consumer). */
async function readJob(source: ChunkStreamSource, job: Job, pool: VerifyPool): Promise<ReadJob> {
  try {
    const located = job.locations.filter((l): l is ChunkLocation => l !== undefined);
    const verified = await pool.verify(await readPayloads(source.backend, located));
    return { job, chunks: verified.chunks };
  } catch (err) {
    return { job, chunks: [], error: err };
  }
}

/**
 * A job's chunks in order, reading alone what the batch did not verify. The first failure
 * (an id not indexed, a chunk `readAlone` rejects) ends the job: the chunks before it are
 * returned with the error, which the generator throws after yielding them.
 */
async function finishJob(source: ChunkStreamSource, done: ReadJob): Promise<{ chunks: Uint8Array[]; error?: unknown }> {
  if (done.error !== undefined) return { chunks: [], error: done.error };
  const chunks: Uint8Array[] = [];
  let k = 0;
  try {
    for (let i = 0; i < done.job.ids.length; i++) {
      const loc = done.job.locations[i];
      if (!loc) throw new NotFoundError('chunk', done.job.ids[i]!);
      chunks.push(done.chunks[k++] ?? (await source.readAlone(loc)));
    }
  } catch (error) {
    return { chunks, error };
  }
  return { chunks };
}
