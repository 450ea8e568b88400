/**
 * The retention and GC commands as a user runs them: a saved policy applied after each
 * capture, forget by rule / by name / a whole agent, gc with a dry run first, all with
 * --json, and usage errors that name the problem.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const tempDir = useTempDirs('memsnap-cli-gc-');

function turn(dir: string, i: number): void {
  fs.mkdirSync(dir, { recursive: true });
  // Each turn writes a new incompressible-ish note, so forgotten turns leave real garbage.
  fs.writeFileSync(path.join(dir, 'note.md'), `turn ${i}\n${'x'.repeat(10)}${Math.random().toString(36).repeat(2000)}`);
}

describe('memsnap forget / gc / policy', () => {
  it('a saved policy trims history after each capture; gc reclaims the space; forget by name and agent', () => {
    const root = tempDir();
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    const dir = path.join(root, 'agent');
    turn(dir, 0);
    expect(runCli(['capture', dir, '--no-git'], env).code).toBe(0);
    const set = runCli(['policy', 'set', '--keep-last', '2', '--json'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json()).toEqual({ scope: '*', policy: { keepLast: 2 } });
    expect(runCli(['policy', 'show'], env).stdout).toContain('all agents: keepLast=2');

    for (let i = 1; i <= 3; i++) {
      turn(dir, i);
      const cap = runCli(['capture', dir, '--no-git', '--json'], env);
      expect(cap.code, cap.stderr).toBe(0);
      if (i >= 2) expect(cap.json<{ forget: { removed: number } }>().forget.removed).toBe(1);
    }
    expect(runCli(['log', 'agent', '--json'], env).json<{ snapshots: unknown[] }>().snapshots).toHaveLength(2);
    // --no-forget keeps the third.
    turn(dir, 4);
    expect(runCli(['capture', dir, '--no-git', '--no-forget'], env).code).toBe(0);
    expect(runCli(['log', 'agent', '--json'], env).json<{ snapshots: unknown[] }>().snapshots).toHaveLength(3);

    const dry = runCli(['gc', '--dry-run', '--json'], env).json<{ dryRun: boolean; chunks: { unreferenced: number }; bytes: { before: number; after: number } }>();
    expect(dry.dryRun).toBe(true);
    expect(dry.chunks.unreferenced).toBeGreaterThan(0);
    const gc = runCli(['gc', '--json'], env);
    expect(gc.code, gc.stderr).toBe(0);
    const report = gc.json<{ chunks: { unreferenced: number }; bytes: { before: number; after: number } }>();
    expect(report.chunks.unreferenced).toBe(dry.chunks.unreferenced);
    expect(report.bytes.after).toBeLessThan(report.bytes.before);
    expect(runCli(['verify', '--json'], env).json<{ ok: boolean }>().ok).toBe(true);

    // forget by rule, dry run first; then by name; the latest is refused.
    const preview = runCli(['forget', '--keep-last', '1', '--dry-run', '--json'], env).json<{ policy: { agents: { removed: unknown[] }[] }; removed: number }>();
    expect(preview.policy.agents[0]!.removed).toHaveLength(2);
    expect(preview.removed).toBe(0);
    const latest = runCli(['forget', 'agent@latest'], env);
    expect(latest.code).not.toBe(0);
    expect(latest.stderr).toContain('latest of agent agent');
    const byName = runCli(['forget', 'agent~1', '--gc', '--json'], env);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.json<{ removed: number; gc: { dryRun: boolean } }>()).toMatchObject({ removed: 1, gc: { dryRun: false } });

    // A second agent, then delete it whole.
    const other = path.join(root, 'other');
    turn(other, 9);
    expect(runCli(['capture', other, '--no-git'], env).code).toBe(0);
    const del = runCli(['forget', '--delete-agent', 'other', '--json'], env);
    expect(del.json()).toMatchObject({ agent: 'other', removed: 1 });
    expect(runCli(['log', '--json'], env).json<{ snapshots: { agent: string }[] }>().snapshots.every((s) => s.agent === 'agent')).toBe(true);
    expect(runCli(['policy', 'clear', '--json'], env).json()).toEqual({ scope: '*', cleared: true });
  });

  it('refuses bad usage with the problem named', () => {
    const root = tempDir();
    const env = { MEMSNAP_STORE: path.join(root, 'store') };
    turn(path.join(root, 'a'), 0);
    expect(runCli(['capture', path.join(root, 'a'), '--no-git'], env).code).toBe(0);
    const cases: [string[], RegExp][] = [
      [['forget'], /exactly one of/],
      [['forget', '--keep-last', '0'], /--keep-last wants a whole number/],
      [['forget', '--keep-within', 'soon'], /bad duration "soon"/],
      [['forget', '--keep-kind', 'weekly'], /keepKinds must list snapshot kinds/],
      [['forget', '--saved'], /no saved policy applies/],
      [['gc', '--repack-threshold', '2'], /--repack-threshold wants a number from 0 to 1/],
      [['policy', 'set'], /at least one --keep-\* rule/],
      [['policy', 'frob'], /unknown policy action "frob"/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});
