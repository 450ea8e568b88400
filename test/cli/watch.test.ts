/**
 * `memsnap watch`: captures at start, again after each change (at most once per interval),
 * records nothing for a change that leaves every source as it was, and on SIGTERM finishes
 * and exits 0. Runs the real CLI as a child process.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');
const tempDir = useTempDirs('memsnap-watch-');

/** A running `memsnap watch` and the JSON lines it printed so far. */
function startWatch(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'watch', ...args], { env: { PATH: process.env['PATH'] ?? '', HOME: '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      lines.push(JSON.parse(buffered.slice(0, at)) as Record<string, unknown>);
      buffered = buffered.slice(at + 1);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = async (n: number, ms = 30_000): Promise<void> => {
    const end = Date.now() + ms;
    while (lines.length < n) {
      if (Date.now() > end) throw new Error(`waited for ${n} captures, saw ${lines.length}; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, lines, until, exited, stderr: () => stderr };
}

describe('memsnap watch', () => {
  it('captures at start and after changes, skips changes that change nothing, and stops cleanly on SIGTERM', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'notes', 'a.md'), 'first\n');
    const store = path.join(root, 'store');
    const w = startWatch([dir, '--store', store, '--agent', 'w', '--every', '0.2', '--no-git', '--json']);
    try {
      await w.until(1);
      expect((w.lines[0]!['snapshot'] as { kind: string }).kind).toBe('automatic');
      fs.writeFileSync(path.join(dir, 'notes', 'a.md'), 'second\n');
      await w.until(2);
      const second = w.lines[1]!['stats'] as { filesRead: number; dirsListed: number };
      expect(second.filesRead).toBe(1);
      expect(second.dirsListed).toBe(1);
      // Its mode set to what it was: notified (and its ctime moves), but every source is as it was.
      fs.chmodSync(path.join(dir, 'notes', 'a.md'), fs.statSync(path.join(dir, 'notes', 'a.md')).mode & 0o777);
      await new Promise((r) => setTimeout(r, 800));
      expect(w.lines).toHaveLength(2);
      // A directory arrives whole (made outside, moved in).
      fs.mkdirSync(path.join(root, 'new-dir'));
      fs.writeFileSync(path.join(root, 'new-dir', 'b.md'), 'b\n');
      fs.renameSync(path.join(root, 'new-dir'), path.join(dir, 'new-dir'));
      await w.until(3);
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    } finally {
      w.child.kill('SIGKILL');
    }
    const log = runCli(['log', 'w', '--store', store, '--json']);
    expect(log.code).toBe(0);
    expect(log.json<{ snapshots: unknown[] }>().snapshots).toHaveLength(3);
    const cat = runCli(['cat', 'w@latest', 'new-dir/b.md', '--store', store]);
    expect(cat.stdout).toBe('b\n');
  });

  it('stops after --max-captures and refuses bad intervals', async () => {
    const root = tempDir();
    const dir = path.join(root, 'agent');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'x.txt'), 'x');
    const store = path.join(root, 'store');
    const w = startWatch([dir, '--store', store, '--every', '0', '--max-captures', '1', '--no-git', '--json']);
    expect(await w.exited).toBe(0);
    expect(w.lines).toHaveLength(1);
    const bad = runCli(['watch', dir, '--store', store, '--every', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--every/);
  });
});
