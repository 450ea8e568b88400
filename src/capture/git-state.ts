/**
 * Git facts of an agent directory: HEAD commit, branch and whether the work tree is dirty.
 * The `.git` folder itself is captured like any other content; this only records facts.
 *
 * HEAD and branch come from `.git/HEAD`, loose refs and `packed-refs` (microseconds).
 * Dirtiness costs a full status: `git --no-optional-locks status` when a git binary exists
 * (about 10 ms for 2,000 files, in another process, and it writes nothing), otherwise
 * isomorphic-git's statusMatrix (hundreds of ms). Callers skip it when nothing in the
 * directory changed since a capture that already knows the answer. Unusual layouts (a
 * `.git` file, as in linked work trees) fall back to isomorphic-git.
 */
import { runCommand } from './command-runner.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitState } from '../snapshot/index.js';

/** Whether `dir` holds a `.git` directory or file. */
export function isGitWorkTree(dir: string): boolean {
  return fs.existsSync(path.join(dir, '.git'));
}

/** Git state of `dir`, or undefined when `dir` is not the top of a git work tree. */
export async function readGitState(dir: string): Promise<GitState | undefined> {
  if (!isGitWorkTree(dir)) return undefined;
  const [headAndBranch, dirty] = await Promise.all([readHead(dir), readDirty(dir)]);
  return { ...headAndBranch, dirty };
}

/** HEAD commit and branch, from the files in `.git`. */
export async function readHead(dir: string): Promise<Pick<GitState, 'head' | 'branch'>> {
  const gitDir = path.join(dir, '.git');
  try {
    if (fs.statSync(gitDir).isDirectory()) {
      const head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
      const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
      if (!ref) return /^[0-9a-f]{40,64}$/.test(head) ? { head, branch: null } : await isoHead(dir);
      return { head: resolveRef(gitDir, ref), branch: ref.replace(/^refs\/heads\//, '') };
    }
  } catch {
    // fall through to isomorphic-git, which knows every layout
  }
  return isoHead(dir);
}

function resolveRef(gitDir: string, ref: string): string | null {
  const loose = path.join(gitDir, ...ref.split('/'));
  if (fs.existsSync(loose)) return fs.readFileSync(loose, 'utf8').trim();
  const packed = fs.existsSync(path.join(gitDir, 'packed-refs')) ? fs.readFileSync(path.join(gitDir, 'packed-refs'), 'utf8') : '';
  for (const line of packed.split('\n')) {
    const [oid, name] = line.split(' ');
    if (name === ref && oid) return oid;
  }
  return null; // an empty repository: the branch has no commit yet
}

async function isoHead(dir: string): Promise<Pick<GitState, 'head' | 'branch'>> {
  const { default: git } = await import('isomorphic-git');
  const head = await git.resolveRef({ fs, dir, ref: 'HEAD' }).catch(() => null);
  const branch = (await git.currentBranch({ fs, dir, fullname: false }).catch(() => undefined)) ?? null;
  return { head, branch };
}

/**
 * The fs handed to isomorphic-git's statusMatrix: reads pass through, writes are dropped.
 * It otherwise rewrites `.git/index` in place to refresh stat data, and a capture must
 * never write into the agent directory (nor change a file between its scan and its read).
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

/** Whether the work tree or index differs from HEAD (untracked files count). */
export async function readDirty(dir: string): Promise<boolean> {
  const viaCli = await gitCliStatus(dir);
  if (viaCli !== undefined) return viaCli;
  const { default: git } = await import('isomorphic-git');
  const matrix = await git.statusMatrix({ fs: readOnlyFs, dir }).catch(() => [] as [string, number, number, number][]);
  return matrix.some(([, h, w, s]) => !(h === 1 && w === 1 && s === 1));
}

/** `git status --porcelain` says something, or undefined when no git binary runs here. */
async function gitCliStatus(dir: string): Promise<boolean | undefined> {
  const r = await runCommand('git', ['--no-optional-locks', '-C', dir, 'status', '--porcelain', '-z', '--ignore-submodules'], {
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
  });
  return r.code === 0 ? r.stdout.length > 0 : undefined;
}
