/**
 * Runs the built `memsnap` CLI (`node dist/cli/main.js`) as a fresh process, the way an
 * agent harness or a cron job would, and times the whole process. Builds `dist/` with
 * `npm run build` when it is missing (or when asked to).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** One finished CLI process. */
export interface CliRun {
  /** Wall time from spawn to exit, in ms. */
  readonly wallMs: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI of the repository at `repoRoot`. */
export class CliRunner {
  readonly entry: string;

  constructor(readonly repoRoot: string) {
    this.entry = path.join(repoRoot, 'dist', 'cli', 'main.js');
  }

  /** Whether dist/ is missing, or older than some file under src/. */
  staleness(): 'missing' | 'stale' | 'fresh' {
    if (!fs.existsSync(this.entry)) return 'missing';
    const built = fs.statSync(this.entry).mtimeMs;
    const src = path.join(this.repoRoot, 'src');
    for (const entry of fs.readdirSync(src, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts') && fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs > built) return 'stale';
    }
    return 'fresh';
  }

  /** `npm run build` in the repository. @throws when the build fails. */
  build(): void {
    execFileSync('npm', ['run', 'build'], { cwd: this.repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  }

  /** Runs `memsnap ARGS`, timed. Never throws on a non-zero exit; check `status`. */
  run(args: readonly string[], env: NodeJS.ProcessEnv = process.env): CliRun {
    const t = performance.now();
    const r = spawnSync(process.execPath, [this.entry, ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
    return { wallMs: performance.now() - t, status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs `memsnap ARGS --json` and parses stdout. @throws with stderr when it exits non-zero. */
  runJson<T>(args: readonly string[]): { run: CliRun; json: T } {
    const run = this.run([...args, '--json']);
    if (run.status !== 0) throw new Error(`memsnap ${args.join(' ')} exited ${run.status}: ${run.stderr || run.stdout}`);
    return { run, json: JSON.parse(run.stdout) as T };
  }
}
