/**
 * Commands run the same directly and through the helper process; the helper never keeps
 * its parent alive, ends with it, and any trouble with it falls back to a direct run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { commandHelperPid, runCommand, stopCommandHelper } from '../../src/capture/command-runner.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

afterEach(() => stopCommandHelper());

describe('runCommand', () => {
  it('gives the same output, exit code and failure directly and through the helper', async () => {
    const expected = execFileSync('git', ['--version']);
    for (const via of ['direct', 'helper'] as const) {
      const ok = await runCommand('git', ['--version'], { via });
      expect(ok.code).toBe(0);
      expect(ok.stdout.equals(expected)).toBe(true);
      const failed = await runCommand('git', ['no-such-subcommand-here'], { via });
      expect(failed.code).not.toBe(0);
      expect(failed.error).toBeTruthy();
      const missing = await runCommand('/nonexistent/program', [], { via });
      expect(missing.code).toBeNull();
      const env = await runCommand(process.execPath, ['-e', 'process.stdout.write(process.env.MEMSNAP_PROBE ?? "")'], { via, env: { ...process.env, MEMSNAP_PROBE: 'seen' } });
      expect(env.stdout.toString()).toBe('seen');
    }
    expect(commandHelperPid()).toBeGreaterThan(0);
  });

  it('runs many commands at once through one helper', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => runCommand(process.execPath, ['-e', `process.stdout.write("${i}")`], { via: 'helper' })));
    expect(results.map((r) => r.stdout.toString())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
  });

  it('falls back to a direct run when the helper was killed', async () => {
    await runCommand('git', ['--version'], { via: 'helper' });
    const pid = commandHelperPid()!;
    process.kill(pid, 'SIGKILL');
    expect(await waitUntil(() => !alive(pid))).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const r = await runCommand('git', ['--version'], { via: 'helper' });
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^git version/);
  });

  it('never keeps its parent alive, and ends with it', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/capture/fixtures/helper-user.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { code: number; out: string; pid: number };
    expect(out.code).toBe(0);
    expect(out.out).toMatch(/^git version/);
    expect(await waitUntil(() => !alive(out.pid))).toBe(true);
  });
});
