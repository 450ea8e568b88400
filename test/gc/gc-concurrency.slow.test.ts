/**
 * Collection beside writers, in separate processes: three agents capture in loops (a
 * fourth process races the first on the same agent from another directory; each
 * trimming its own history to 3 snapshots, re-using content that forgotten snapshots left
 * behind, and sharing some content across agents) while a fourth process collects garbage
 * in a loop without waiting for writers. Afterwards every snapshot in the catalog verifies,
 * every pack verifies, every agent's head is its last commit, no update on the raced agent
 * was lost (its history grew by exactly its successful commits), and the collections did
 * real work (chunks condemned, sweeps deferred for running writers, packs deleted and
 * rewritten, condemned chunks rescued by committing captures). A final collection with no writers leaves exactly the reachable chunks.
 *
 * MEMSNAP_GC_SOAK_MS (default 15000) sets how long the writers run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyStore } from '../../src/cas/index.js';
import { collectGarbage, type CollectReport } from '../../src/gc/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-gc-soak-');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const SOAK_MS = Number(process.env['MEMSNAP_GC_SOAK_MS'] ?? 15_000);

interface Child {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly ready: Promise<void>;
  readonly done: Promise<number | null>;
  stderr: string;
}

function start(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', fixture(script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const child: Child = { proc, lines: [], stderr: '', ready: undefined as never, done: undefined as never };
  let buffered = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) if (line.trim()) child.lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  (child as { ready: Promise<void> }).ready = new Promise((resolve) => proc.stderr!.on('data', (d: Buffer) => ((child.stderr += d.toString()), child.stderr.includes('ready') && resolve())));
  (child as { done: Promise<number | null> }).done = new Promise((resolve) => proc.on('close', (code) => resolve(code)));
  return child;
}

describe('garbage collection beside concurrent captures (separate processes)', () => {
  it(`never leaves a snapshot referencing a missing chunk (${SOAK_MS} ms soak)`, async () => {
    const root = tempDir();
    const storeDir = path.join(root, 'store');
    (await Repository.init(storeDir, { packTargetBytes: 128 << 10 })).close();
    const stop = path.join(root, 'stop');
    const agents = ['alpha', 'beta', 'gamma'];
    const writers = agents.map((agent, i) => start('capture-loop.ts', [storeDir, path.join(root, agent), agent, String(100 + i), stop]));
    // A second process captures agent alpha from another directory: the two race on one head.
    const racer = start('capture-loop.ts', [storeDir, path.join(root, 'alpha-racer'), 'alpha', '200', stop]);
    await racer.ready;
    await Promise.all(writers.map((w) => w.ready));
    const gc = start('gc-loop.ts', [storeDir, stop]);
    await gc.ready;
    await new Promise((resolve) => setTimeout(resolve, SOAK_MS));
    writeFileSync(stop, '');
    const codes = await Promise.all([...writers, racer, gc].map((c) => c.done));
    for (const [i, c] of [...writers, racer, gc].entries()) expect(codes[i], c.stderr).toBe(0);

    const reports = gc.lines as unknown as CollectReport[];
    const committedBy = (c: Child) => c.lines.filter((l) => l['committed']).map((l) => l['committed'] as string);
    const committed = writers.map(committedBy);
    const raced = committedBy(racer);
    const conflicts = [writers[0]!, racer].flatMap((c) => c.lines).filter((l) => l['conflict']).length;
    console.log(
      `soak: ${reports.length} collections, commits ${committed.map((c) => c.length).join('/')}, ` +
        `condemned ${reports.reduce((n, r) => n + r.chunks.unreferenced, 0)}, deferred-sweeps ${reports.filter((r) => r.chunks.deferred > 0).length}, ` +
        `packs deleted ${reports.reduce((n, r) => n + r.packs.deleted, 0)}, rewritten ${reports.reduce((n, r) => n + r.packs.rewritten, 0)}, ` +
        `chunks rescued by committing captures ${[...writers, racer].flatMap((w) => w.lines).reduce((n, l) => n + Number(l['rescued'] ?? 0), 0)}, ` +
        `alpha race: ${committed[0]!.length}+${raced.length} commits, ${conflicts} conflicts`,
    );
    expect(reports.length).toBeGreaterThan(2);
    expect(committed.every((c) => c.length >= 3)).toBe(true);
    expect(reports.some((r) => r.chunks.unreferenced > 0)).toBe(true);
    expect(reports.some((r) => r.packs.deleted + r.packs.rewritten > 0)).toBe(true);
    expect(reports.some((r) => r.chunks.deferred > 0)).toBe(true);
    // The dangerous case happened: captures committed chunks a collection had condemned.
    expect(writers.flatMap((w) => w.lines).some((l) => Number(l['rescued'] ?? 0) > 0)).toBe(true);

    const repo = await Repository.open(storeDir);
    try {
      for (const [i, agent] of [...agents.entries()].slice(1)) expect(repo.catalog.head(agent)).toBe(committed[i]!.at(-1));
      // No lost update on the raced agent: its head is one of the two last commits, and every
      // successful commit advanced the history by exactly one (the losers got conflicts).
      expect([committed[0]!.at(-1), raced.at(-1)]).toContain(repo.catalog.head('alpha'));
      expect(repo.catalog.get(repo.catalog.head('alpha')!)!.seq).toBe(committed[0]!.length + raced.length);
      expect(conflicts).toBeGreaterThan(0);
      const snaps = await verifySnapshots(repo);
      expect(snaps.damage).toEqual([]);
      expect(snaps.snapshots).toBe(agents.length * 3);
      expect((await verifyStore(repo.chunks)).ok).toBe(true);
      const last = await collectGarbage(repo);
      expect(last.chunks.deferred).toBe(0);
      expect(repo.chunks.stats().chunks).toBe(last.chunks.marked);
      expect((await verifySnapshots(repo)).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });
});
