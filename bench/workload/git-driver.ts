/**
 * Git for the workload: the `git` command when it is installed (fast, and what agents
 * really run), else isomorphic-git. Commits are deterministic for a given tree, message
 * and time: fixed author, no system or global config, no automatic gc.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** The author and committer of every workload commit. */
const AUTHOR = { name: 'bench agent', email: 'agent@example.invalid' };

/** What the workload needs from git. */
export interface GitDriver {
  /** `git-cli` or `isomorphic-git`. */
  readonly name: string;
  /** Creates an empty repository in `dir` on branch `main`. */
  init(dir: string): Promise<void>;
  /** Stages every change in the work tree (adds, edits, deletions) and commits; returns the commit id. */
  commitAll(dir: string, message: string, timeMs: number): Promise<string>;
  /** Packs loose objects (like a repository that has seen `git gc`). No-op where unsupported. */
  pack(dir: string): Promise<void>;
  /** Refreshes the index's stat data after the work tree was copied (new inodes, mtimes). */
  refreshIndex(dir: string): Promise<void>;
}

/** The git CLI when `git --version` runs, else isomorphic-git. */
export function createGitDriver(): GitDriver {
  const probe = spawnSync('git', ['--version'], { stdio: 'ignore' });
  return probe.status === 0 ? new CliGit() : new IsoGit();
}

class CliGit implements GitDriver {
  readonly name = 'git-cli';

  private run(dir: string, args: string[], timeMs = 0): string {
    const date = `@${Math.floor(timeMs / 1000)} +0000`;
    return execFileSync(
      'git',
      ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', '-c', 'core.autocrlf=false', '-c', 'commit.gpgSign=false', '-c', 'core.fsync=none', ...args],
      {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: dir,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
          GIT_AUTHOR_NAME: AUTHOR.name,
          GIT_AUTHOR_EMAIL: AUTHOR.email,
          GIT_COMMITTER_NAME: AUTHOR.name,
          GIT_COMMITTER_EMAIL: AUTHOR.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_DATE: date,
        },
        maxBuffer: 64 << 20,
      },
    ).trim();
  }

  async init(dir: string): Promise<void> {
    this.run(dir, ['init', '-q', '-b', 'main']);
  }

  async commitAll(dir: string, message: string, timeMs: number): Promise<string> {
    this.run(dir, ['add', '-A']);
    this.run(dir, ['commit', '-q', '--no-verify', '--allow-empty', '-m', message], timeMs);
    return this.run(dir, ['rev-parse', 'HEAD']);
  }

  async pack(dir: string): Promise<void> {
    this.run(dir, ['gc', '-q', '--prune=now']);
  }

  async refreshIndex(dir: string): Promise<void> {
    try {
      this.run(dir, ['update-index', '-q', '--refresh']);
    } catch {
      // exit 1 means "some entries need updating": the stat data was still refreshed
    }
  }
}

class IsoGit implements GitDriver {
  readonly name = 'isomorphic-git';

  private async git(): Promise<typeof import('isomorphic-git')> {
    return (await import('isomorphic-git')).default as unknown as typeof import('isomorphic-git');
  }

  async init(dir: string): Promise<void> {
    await (await this.git()).init({ fs, dir, defaultBranch: 'main' });
  }

  async commitAll(dir: string, message: string, timeMs: number): Promise<string> {
    const git = await this.git();
    for (const [filepath, head, work, stage] of await git.statusMatrix({ fs, dir })) {
      if (work === 0) await git.remove({ fs, dir, filepath });
      else if (head !== work || work !== stage) await git.add({ fs, dir, filepath });
    }
    const who = { ...AUTHOR, timestamp: Math.floor(timeMs / 1000), timezoneOffset: 0 };
    return git.commit({ fs, dir, message, author: who, committer: who });
  }

  async pack(): Promise<void> {
    // isomorphic-git does not gc; the repository keeps loose objects
  }

  async refreshIndex(): Promise<void> {
    // isomorphic-git compares content when stat data differs; nothing to refresh
  }
}
