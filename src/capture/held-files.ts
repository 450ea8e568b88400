/**
 * File descriptors for files SQLite may lock (databases, their -wal and -shm), kept open for
 * the life of the process.
 *
 * POSIX record locks belong to a (process, file) pair: closing ANY descriptor of a file
 * releases EVERY lock this process holds on it, including the locks of SQLite connections
 * (ours holding a capture's read transaction, or the agent's own in the same process).
 * SQLite guards its own descriptors against this; raw reads must too. So such files are
 * opened once and never closed while they are in use. A descriptor is replaced only when
 * the path now names another inode (the file was deleted or replaced; nothing can hold a
 * lock on the old one through SQLite any more, so closing it is safe).
 */
import * as fs from 'node:fs';

const held = new Map<string, { fd: number; ino: bigint }>();

/** A held read descriptor for `file`, or undefined when the file does not exist. */
export function heldFd(file: string): number | undefined {
  const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  const known = held.get(file);
  if (known && st && known.ino === st.ino) return known.fd;
  if (known) {
    held.delete(file);
    fs.closeSync(known.fd); // another inode now: no lock of ours can be on the old one
  }
  if (!st) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const opened = fs.fstatSync(fd, { bigint: true });
  held.set(file, { fd, ino: opened.ino });
  return fd;
}

/**
 * Closes and forgets the held descriptor of `file`. Only for files that are not SQLite
 * databases (nothing of SQLite's can be locking them), such as a sniffed ordinary file.
 */
export function releaseHeld(file: string): void {
  const known = held.get(file);
  if (!known) return;
  held.delete(file);
  fs.closeSync(known.fd);
}

/** How many descriptors are held (for tests). */
export function heldCount(): number {
  return held.size;
}

/** Reads exactly `length` bytes at `position`, or fewer only at the end of the file. */
export function readHeld(fd: number, into: Uint8Array, at: number, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, into, at + got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
