/**
 * Stores file bytes and database images as chunks and returns their content references.
 * Chunking and hashing go through the ingest pipeline, which uses worker threads for large
 * inputs (a database image) and stays on this thread for small ones (a note).
 */
import * as fs from 'node:fs';
import type { Chunker } from '../chunker/index.js';
import type { ChunkWriter } from '../cas/index.js';
import { ingestBuffer, ingestFile, type IngestResult } from '../ingest/index.js';
import { writeContent, type ChunkRef, type ContentRef, type ListNodeMemo } from '../snapshot/index.js';

/** What storing content needs from a chunk writer. */
export type ContentSink = Pick<ChunkWriter, 'put' | 'putWithId' | 'prefetchPresence'>;

const WHOLE_FILE_LIMIT = 64 << 20;

/**
 * Stores the list nodes naming the chunks an ingest produced, and returns the content reference.
 * @param memo the list nodes of the same content's previous version (see ListNodeMemo)
 */
export function storeIngested(sink: ContentSink, r: Pick<IngestResult, 'ids' | 'lengths'>, memo?: ListNodeMemo): Promise<ContentRef> {
  const refs: ChunkRef[] = r.ids.map((id, i) => [id, r.lengths[i]!]);
  return writeContent(sink, refs, memo);
}

/** Reads the file at `file` and stores it; `size` is the size lstat saw (a hint). */
export async function storeFile(sink: ContentSink, file: string, size: number, chunker: Chunker): Promise<ContentRef> {
  const r = size <= WHOLE_FILE_LIMIT ? await ingestBuffer(sink, fs.readFileSync(file), chunker) : await ingestFile(sink, file, chunker);
  return storeIngested(sink, r);
}
