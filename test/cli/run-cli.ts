/**
 * Runs the memsnap CLI as a real child process (from sources through tsx), with a clean
 * environment, and returns exit code, stdout and stderr.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');

/** The result of one CLI call. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for --json calls). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs `memsnap ...args` with `env` added to a minimal environment. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): CliRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    encoding: 'buffer',
    cwd,
    timeout: 60_000,
  });
  const stdout = r.stdout.toString('utf8');
  return {
    code: r.status ?? -1,
    stdout,
    stderr: r.stderr.toString('utf8'),
    json: <T>() => JSON.parse(stdout) as T,
  };
}

/** Raw stdout bytes of one call (for cat). */
export function runCliBytes(args: string[], env: Record<string, string> = {}): Buffer {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 60_000, maxBuffer: 256 << 20 }).stdout;
}
