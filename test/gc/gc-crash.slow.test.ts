/**
 * A collection killed with SIGKILL at a seeded random moment, many times over one store
 * that keeps gaining history and garbage between kills: after every kill the store opens,
 * every pack and every retained snapshot verifies; a final collection finishes the job
 * (no journal left, packs on disk are exactly the indexed ones, only reachable chunks stay).
 *
 * MEMSNAP_GC_CRASH_ITERATIONS (default 12) kills; MEMSNAP_GC_CRASH_SEED reproduces a run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { verifyStore } from '../../src/cas/index.js';
import { collectGarbage, forgetByPolicy } from '../../src/gc/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { createAgentFixture, mutateAgent } from '../helpers/agent-fixture.js';
import { seededUnit } from '../helpers/deterministic-bytes.js';
import { runAndKillAfterReady } from '../helpers/kill-child.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-gc-crash-');
const CHILD = fileURLToPath(new URL('./fixtures/gc-once.ts', import.meta.url));
const ITERATIONS = Number(process.env['MEMSNAP_GC_CRASH_ITERATIONS'] ?? 12);
const SEED = Number(process.env['MEMSNAP_GC_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

function packFiles(storeDir: string): string[] {
  const root = path.join(storeDir, 'packs');
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name.replace(/\.pack$/, '')).sort();
}

describe('SIGKILL during garbage collection', () => {
  it(`leaves a store that verifies, and the next collection finishes the job (seed ${SEED})`, async () => {
    console.log(`gc crash seed=${SEED} iterations=${ITERATIONS} (rerun with MEMSNAP_GC_CRASH_SEED=${SEED})`);
    const root = tempDir();
    const storeDir = path.join(root, 'store');
    const fx = createAgentFixture(path.join(root, 'fx'), { seed: SEED % 1000, notes: 15, git: false });
    const random = seededUnit(SEED);
    let killed = 0;
    // The first collection runs to the end and sets the scale of the kill delays.
    let collectMs = 0;
    const phasesHit = new Set<string>();
    (await Repository.init(storeDir, { packTargetBytes: 64 << 10 })).close();
    for (let i = 0; i < ITERATIONS; i++) {
      const repo = await Repository.open(storeDir);
      for (let t = 0; t < 3; t++) {
        mutateAgent(fx, 60);
        await captureAgent(repo, { dir: fx.dir, agent: 'a', git: false });
      }
      forgetByPolicy(repo, { keepLast: 2 });
      await repo.close();

      const run = await runAndKillAfterReady(CHILD, [storeDir], i === 0 ? 60_000 : Math.floor(random() * collectMs * 1.5));
      if (!run.killed) expect(run.code, run.stderr).toBe(0);
      // Collections grow with the store: the latest finished one sets the scale.
      if (!run.killed) collectMs = run.ranMs;
      killed += run.killed ? 1 : 0;
      if (run.killed) phasesHit.add(/phase (\w+)\n$/.exec(run.stderr)?.[1] ?? 'start');

      const check = await Repository.open(storeDir);
      try {
        const packs = await verifyStore(check.chunks);
        expect(packs.damaged, `iteration ${i}`).toEqual([]);
        expect(packs.ok, `iteration ${i}`).toBe(true);
        const snaps = await verifySnapshots(check);
        expect(snaps.damage, `iteration ${i}`).toEqual([]);
      } finally {
        await check.close();
      }
    }
    console.log(`killed ${killed} of ${ITERATIONS - 1} collections mid-way, in phases ${[...phasesHit].join(', ')} (the last whole one took ${Math.round(collectMs)} ms)`);
    expect(killed).toBeGreaterThanOrEqual(Math.min(2, ITERATIONS - 1));

    const repo = await Repository.open(storeDir);
    try {
      const last = await collectGarbage(repo, { repackThreshold: 1 });
      expect(last.chunks.deferred).toBe(0);
      expect(repo.chunks.index.database.prepare(`SELECT count(*) FROM gc_journal`).pluck().get()).toBe(0);
      expect(packFiles(storeDir)).toEqual(repo.chunks.index.packs().map((p) => p.name).sort());
      expect(repo.chunks.stats().chunks).toBe(last.chunks.marked);
      expect((await verifySnapshots(repo)).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });
});
