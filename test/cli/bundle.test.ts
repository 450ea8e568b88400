/**
 * The bundle commands as a user runs them: export (file and stdout), bundle verify, import
 * (file and stdin), restore --from-bundle, incremental bundles without their base, damaged
 * bundles, with --json outputs and the exit codes of the one table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_VERIFY_FAILED, exitCodeFor } from '../../src/cli/exit-codes.js';
import { createAgentFixture, describeTree, mutateAgent } from '../helpers/agent-fixture.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const tempDir = useTempDirs('memsnap-cli-bundle-');
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');

/** Runs the CLI with `input` on stdin; returns code, stdout bytes and stderr. */
function runWithStdin(args: string[], input: Buffer, env: Record<string, string>): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { input, env: { PATH: process.env['PATH'] ?? '', HOME: '/tmp', ...env }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('memsnap export / import / bundle verify / restore --from-bundle', () => {
  it('moves an agent between stores through a bundle file and stdout/stdin, and restores straight from it', () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 31, git: false });
    const src = { MEMSNAP_STORE: path.join(root, 'src') };
    const dst = { MEMSNAP_STORE: path.join(root, 'dst') };
    expect(runCli(['capture', fx.dir, '--agent', 'ada', '--no-git'], src).code).toBe(0);
    mutateAgent(fx, 3);
    expect(runCli(['capture', fx.dir, '--agent', 'ada', '--no-git'], src).code).toBe(0);
    const file = path.join(root, 'ada.tar.zst');

    const exp = runCli(['export', '--history', 'ada', '-o', file, '--json'], src);
    expect(exp.code, exp.stderr).toBe(0);
    const manifest = exp.json<{ manifest: { snapshots: string[]; entries: number }; bundleBytes: number }>();
    expect(manifest.manifest.snapshots).toHaveLength(2);
    expect(manifest.bundleBytes).toBe(fs.statSync(file).size);
    expect(fs.readdirSync(root).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    const ver = runCli(['bundle', 'verify', file, '--json'], {});
    expect(ver.code, ver.stderr).toBe(0);
    expect(ver.json<{ ok: boolean; snapshots: { agent: string }[] }>()).toMatchObject({ ok: true, snapshots: [{ agent: 'ada' }, { agent: 'ada' }] });

    const imp = runCli(['import', file, '--json'], dst);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.json<{ refs: { agent: string; action: string }[]; snapshots: { seq: number }[] }>()).toMatchObject({ refs: [{ agent: 'ada', action: 'created' }], snapshots: [{ seq: 1 }, { seq: 2 }] });
    const log = runCli(['log', 'ada', '--json'], dst).json<{ snapshots: { id: string }[] }>();
    expect(log.snapshots.map((s) => s.id)).toEqual([...manifest.manifest.snapshots].reverse());

    // stdout → stdin gives the same bytes as the file.
    const piped = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'export', '--history', 'ada', '-o', '-'], { env: { PATH: process.env['PATH'] ?? '', ...src }, timeout: 60_000 });
    expect(piped.status, piped.stderr.toString()).toBe(0);
    expect(piped.stdout.equals(fs.readFileSync(file))).toBe(true);
    const again = runWithStdin(['import', '-', '--json'], piped.stdout, { MEMSNAP_STORE: path.join(root, 'third') });
    expect(again.code, again.stderr).toBe(0);

    // Restore straight from the bundle (its head by default), the same as from the store.
    expect(runCli(['restore', 'ada', '--target', path.join(root, 'from-store')], src).code).toBe(0);
    const rb = runCli(['restore', '--from-bundle', file, '--target', path.join(root, 'from-bundle'), '--json'], {});
    expect(rb.code, rb.stderr).toBe(0);
    expect(describeTree(path.join(root, 'from-bundle'))).toEqual(describeTree(path.join(root, 'from-store')));
    const first = runCli(['restore', '--from-bundle', file, manifest.manifest.snapshots[0]!.slice(0, 10), '--target', path.join(root, 'first')], {});
    expect(first.code, first.stderr).toBe(0);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.memsnap-bundle-'))).toEqual([]);
  }, 120_000);

  it('names the missing base of an incremental bundle (exit 4) and reports damage (exit 10)', () => {
    const root = tempDir();
    const fx = createAgentFixture(root, { seed: 32, git: false });
    const src = { MEMSNAP_STORE: path.join(root, 'src') };
    const base = runCli(['capture', fx.dir, '--agent', 'bo', '--no-git', '--json'], src).json<{ snapshot: { id: string } }>().snapshot.id;
    mutateAgent(fx, 2);
    expect(runCli(['capture', fx.dir, '--agent', 'bo', '--no-git'], src).code).toBe(0);
    const file = path.join(root, 'incr.tar.zst');
    expect(runCli(['export', 'bo', '--base', 'bo~1', '-o', file], src).code).toBe(0);

    const imp = runCli(['import', file, '--json'], { MEMSNAP_STORE: path.join(root, 'empty') });
    expect(imp.code).toBe(exitCodeFor('MISSING_BASE'));
    expect(imp.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'MISSING_BASE' });
    expect(imp.json<{ error: { message: string } }>().error.message).toContain(base.slice(0, 12));
    const human = runCli(['import', file], { MEMSNAP_STORE: path.join(root, 'empty') });
    expect(human.stderr).toContain(`needs base snapshot ${base.slice(0, 12)}`);

    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    const ver = runCli(['bundle', 'verify', file, '--json'], {});
    expect(ver.code).toBe(EXIT_VERIFY_FAILED);
    expect(ver.json<{ ok: boolean; error: { code: string } }>()).toMatchObject({ ok: false, error: { code: 'CORRUPT_BUNDLE' } });
    expect(runCli(['import', file], src).code).toBe(exitCodeFor('CORRUPT_BUNDLE')); // the base is there; the damage is found
    expect(runCli(['export', 'bo', '--json', '-o', '-'], src).code).toBe(2);
    expect(runCli(['restore', '--from-bundle', file, '--target', path.join(root, 'x'), '--databases-to-origin'], {}).stderr).toContain('--databases-to-origin is refused with --from-bundle');
    expect(runCli(['export', 'bo'], src).stderr).toContain('--output');
  }, 120_000);
});
