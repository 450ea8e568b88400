/**
 * Git facts of an agent directory through isomorphic-git: HEAD commit, branch and whether
 * the work tree is dirty. The `.git` folder itself is captured like any other content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitState } from '../snapshot/index.js';

/**
 * The fs handed to isomorphic-git: reads pass through, writes are dropped. Its statusMatrix
 * otherwise rewrites `.git/index` in place to refresh stat data, and a capture must never
 * write into the agent directory (nor change a file between its scan and its read).
 */
const readOnlyFs = {
  promises: {
    ...fs.promises,
    writeFile: async (): Promise<void> => undefined,
    mkdir: async (): Promise<void> => undefined,
    rmdir: async (): Promise<void> => undefined,
    rm: async (): Promise<void> => undefined,
    unlink: async (): Promise<void> => undefined,
    symlink: async (): Promise<void> => undefined,
  },
};

/** Git state of `dir`, or undefined when `dir` is not the top of a git work tree. */
export async function readGitState(dir: string): Promise<GitState | undefined> {
  if (!fs.existsSync(path.join(dir, '.git'))) return undefined;
  // Loaded lazily: most CLI commands never need it, and it is the heaviest import.
  const { default: git } = await import('isomorphic-git');
  let head: string | null = null;
  try {
    head = await git.resolveRef({ fs, dir, ref: 'HEAD' });
  } catch {
    head = null; // an empty repository has no HEAD commit yet
  }
  const branch = (await git.currentBranch({ fs, dir, fullname: false }).catch(() => undefined)) ?? null;
  const matrix = await git.statusMatrix({ fs: readOnlyFs, dir }).catch(() => [] as [string, number, number, number][]);
  const dirty = matrix.some(([, h, w, s]) => !(h === 1 && w === 1 && s === 1));
  return { head, branch, dirty };
}
