/**
 * One restored file being written, chunk by chunk in order, with few system calls.
 *
 * Consecutive non-zero chunks are gathered and written with one positioned `writev` (at
 * most {@link MAX_IOVECS} buffers or {@link RUN_BYTES} per call): a 100 MB database of
 * 4 KiB pages takes ~25 calls instead of 26,000. All-zero chunks are skipped and left as
 * holes, and the file is extended to its size at the end, so a sparse file comes back
 * sparse (holes where it had them, as `cp --sparse=auto` does). Mode and mtime are set
 * through the open descriptor. Calls are synchronous: for the small writes of a restore
 * they cost less than a thread-pool round trip.
 */
import * as fs from 'node:fs';

/** Most buffers passed to one writev (Linux IOV_MAX). */
export const MAX_IOVECS = 1024;
/** Bytes gathered before they are written, at most. */
export const RUN_BYTES = 8 << 20;

const ZEROS = Buffer.alloc(1 << 20);

/** A new file being written; see the module comment. Not reusable after `finish` or `abort`. */
export class FileSink {
  private readonly fd: number;
  /** Bytes appended so far: where the next chunk goes. */
  private position = 0;
  /** Where the gathered run starts, and its buffers. */
  private runStart = 0;
  private run: Uint8Array[] = [];
  private runBytes = 0;
  /** End of the data written so far (what lies beyond, up to `position`, is a hole). */
  private written = 0;

  /**
   * Creates `file` (which must not exist), private (0600) until `finish` sets its mode.
   * @throws the fs error (EEXIST, ENOENT, EACCES...).
   */
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'wx', 0o600);
  }

  /** Appends the next chunk. The bytes must stay unchanged until the next write (at most RUN_BYTES later) or `finish`. */
  append(bytes: Uint8Array): void {
    if (isAllZero(bytes)) {
      this.flush();
      this.position += bytes.length;
      this.runStart = this.position;
      return;
    }
    this.run.push(bytes);
    this.runBytes += bytes.length;
    this.position += bytes.length;
    if (this.run.length >= MAX_IOVECS || this.runBytes >= RUN_BYTES) this.flush();
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.position;
  }

  /**
   * Writes what is gathered, extends the file over a trailing hole, fsyncs when `durable`,
   * sets `mode` and, when given, the mtime (seconds, as utimes takes them), and closes the file.
   */
  finish(mode: number, mtimeSeconds: number | undefined, durable: boolean): void {
    try {
      this.flush();
      if (this.written < this.position) fs.ftruncateSync(this.fd, this.position);
      if (durable) fs.fsyncSync(this.fd);
      fs.fchmodSync(this.fd, mode);
      if (mtimeSeconds !== undefined) fs.futimesSync(this.fd, mtimeSeconds, mtimeSeconds);
    } finally {
      fs.closeSync(this.fd);
    }
  }

  /** Closes the file without finishing it (after an error; the caller removes it). */
  abort(): void {
    fs.closeSync(this.fd);
  }

  /** Writes the gathered run at its offset, all of it (a short write is continued). */
  private flush(): void {
    if (this.run.length === 0) return;
    let at = this.runStart;
    let buffers = this.run;
    while (buffers.length > 0) {
      let n = fs.writevSync(this.fd, buffers, at);
      at += n;
      // Drop what was written; a partly written buffer continues from where it stopped.
      let k = 0;
      while (k < buffers.length && n >= buffers[k]!.length) n -= buffers[k++]!.length;
      buffers = buffers.slice(k);
      if (n > 0) buffers[0] = buffers[0]!.subarray(n);
    }
    this.written = at;
    this.run = [];
    this.runBytes = 0;
    this.runStart = this.position;
  }
}

/** Whether every byte of `bytes` is zero (memcmp against a zero page, in 1 MiB steps). */
export function isAllZero(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < b.length; at += ZEROS.length) {
    const part = b.subarray(at, Math.min(b.length, at + ZEROS.length));
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}
