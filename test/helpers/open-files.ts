/**
 * Open file descriptors of this process that point below a directory (Linux /proc), to
 * prove that a failed open released its handles. `undefined` where /proc is unavailable.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';

/** Paths of this process's open files under `dir`, or undefined when /proc/self/fd is missing. */
export function openFilesUnder(dir: string): string[] | undefined {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  const root = resolve(dir) + '/';
  const out: string[] = [];
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(root)) out.push(target);
    } catch {
      // the descriptor closed while we looked
    }
  }
  return out;
}
