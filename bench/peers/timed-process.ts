/**
 * Runs one command as a whole process under `/usr/bin/time` and reports what it cost:
 * wall time (measured here, around the spawn), user and system CPU seconds and peak
 * resident memory (from `time -f`, written to a side file so the tool's own stderr stays
 * clean). Synchronous: the peer bench runs one tool at a time.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** `/usr/bin/time`, from Debian's `time` package. */
export const TIME_BIN = '/usr/bin/time';

/** One finished process. Times in ms, memory in KiB. */
export interface ProcessRun {
  readonly command: string;
  readonly status: number | null;
  /** Spawn to exit, in ms. */
  readonly wallMs: number;
  /** User + system CPU time of the process and its waited-for children, in ms. */
  readonly cpuMs: number;
  /** Peak resident set size, in KiB (`%M`). */
  readonly maxRssKiB: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runTimed}. */
export interface RunTimedOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Exit codes that count as success besides 0 (borg's 1 = warning). Default none. */
  readonly okStatus?: readonly number[];
}

/**
 * Runs `cmd args` under `/usr/bin/time`.
 * @throws when the process exits with a status that is neither 0 nor in `okStatus`.
 */
export function runTimed(cmd: string, args: readonly string[], options: RunTimedOptions = {}): ProcessRun {
  const sideFile = path.join(os.tmpdir(), `memsnap-peers-time-${process.pid}`);
  const t = performance.now();
  const r = spawnSync(TIME_BIN, ['-o', sideFile, '-f', '%U %S %M', cmd, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const wallMs = performance.now() - t;
  const command = [cmd, ...args].join(' ');
  if (r.error) throw r.error;
  // `time` writes "Command exited with non-zero status N" before the format line.
  const last = fs.readFileSync(sideFile, 'utf8').trim().split('\n').at(-1) ?? '';
  fs.rmSync(sideFile, { force: true });
  const [user, sys, rss] = last.split(' ').map(Number);
  const run: ProcessRun = { command, status: r.status, wallMs, cpuMs: ((user ?? NaN) + (sys ?? NaN)) * 1000, maxRssKiB: rss ?? NaN, stdout: r.stdout, stderr: r.stderr };
  if (r.status !== 0 && !(options.okStatus ?? []).includes(r.status ?? -1)) {
    throw new Error(`${command} exited ${r.status}: ${(r.stderr || r.stdout).slice(-2000)}`);
  }
  return run;
}

/** Apparent size of every regular file under `dir`, in bytes (like `du -sb`, without directory entries). */
export function treeBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let total = 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return total;
}
