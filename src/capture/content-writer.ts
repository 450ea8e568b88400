/**
 * Stores file bytes and database images as chunks and returns their content references.
 * Files up to 64 MiB are read whole; larger ones stream in 4 MiB blocks.
 */
import * as fs from 'node:fs';
import type { Chunker } from '../chunker/index.js';
import { Splitter, splitBuffer } from '../chunker/index.js';
import type { ChunkWriter } from '../cas/index.js';
import { writeContent, type ChunkRef, type ContentRef } from '../snapshot/index.js';

const WHOLE_FILE_LIMIT = 64 << 20;
const BLOCK = 4 << 20;

/** Chunks `data` with `chunker`, stores the chunks and list nodes, returns the reference. */
export async function storeBytes(writer: Pick<ChunkWriter, 'put'>, data: Uint8Array, chunker: Chunker): Promise<ContentRef> {
  const refs: ChunkRef[] = [];
  for (const chunk of splitBuffer(data, chunker)) refs.push([(await writer.put(chunk)).id, chunk.length]);
  return writeContent(writer, refs);
}

/** Reads the file at `file` and stores it; `size` is the size lstat saw (a hint). */
export async function storeFile(writer: Pick<ChunkWriter, 'put'>, file: string, size: number, chunker: Chunker): Promise<ContentRef> {
  if (size <= WHOLE_FILE_LIMIT) return storeBytes(writer, fs.readFileSync(file), chunker);
  const refs: ChunkRef[] = [];
  const splitter = new Splitter(chunker);
  const fd = fs.openSync(file, 'r');
  try {
    const block = Buffer.allocUnsafe(BLOCK);
    for (;;) {
      const n = fs.readSync(fd, block, 0, BLOCK, null);
      if (n === 0) break;
      for (const chunk of splitter.push(block.subarray(0, n))) refs.push([(await writer.put(chunk)).id, chunk.length]);
    }
    for (const chunk of splitter.finish()) refs.push([(await writer.put(chunk)).id, chunk.length]);
  } finally {
    fs.closeSync(fd);
  }
  return writeContent(writer, refs);
}
