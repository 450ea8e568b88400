/**
 * FileSink: the bytes appended come back exactly, whatever mix of runs and zero chunks
 * (holes, a trailing hole, runs longer than one writev), with mode and mtime applied.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink, MAX_IOVECS } from '../../src/restore/file-sink.js';
import { pseudoRandomBytes } from '../helpers/deterministic-bytes.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-sink-');

function write(chunks: readonly Uint8Array[], mode = 0o640, mtime = 1_700_000_000.25): { file: string; sink: FileSink } {
  const file = path.join(tempDir(), 'f');
  const sink = new FileSink(file);
  for (const c of chunks) sink.append(c);
  sink.finish(mode, mtime, false);
  return { file, sink };
}

describe('FileSink', () => {
  it('writes runs and leaves zero chunks as holes, including a trailing one', () => {
    const chunks = [pseudoRandomBytes('a', 5000), new Uint8Array(8192), pseudoRandomBytes('b', 3), new Uint8Array(1 << 20), pseudoRandomBytes('c', 4096), new Uint8Array(70_000)];
    const { file, sink } = write(chunks);
    const want = Buffer.concat(chunks);
    expect(sink.size).toBe(want.length);
    expect(fs.readFileSync(file).equals(want)).toBe(true);
    const st = fs.statSync(file);
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtimeMs).toBe(1_700_000_000_250);
    // The megabyte of zeros is a hole (allocated blocks well under the file size).
    expect(st.blocks * 512).toBeLessThan(want.length - (512 << 10));
  });

  it('splits a run longer than one writev takes, and writes an empty file', () => {
    const chunks = Array.from({ length: MAX_IOVECS * 2 + 5 }, (_, i) => pseudoRandomBytes(`p${i}`, 100 + (i % 7)));
    const { file } = write(chunks);
    expect(fs.readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
    const empty = write([]);
    expect(fs.statSync(empty.file).size).toBe(0);
    const zeros = write([new Uint8Array(0), new Uint8Array(10)]);
    expect(fs.readFileSync(zeros.file).equals(Buffer.alloc(10))).toBe(true);
  });

  it('refuses an existing file, and abort closes without finishing', () => {
    const { file } = write([pseudoRandomBytes('x', 10)]);
    expect(() => new FileSink(file)).toThrow(/EEXIST/);
    const other = path.join(path.dirname(file), 'g');
    const sink = new FileSink(other);
    sink.append(pseudoRandomBytes('y', 10));
    sink.abort();
    expect(fs.statSync(other).mode & 0o777).toBe(0o600);
  });
});
