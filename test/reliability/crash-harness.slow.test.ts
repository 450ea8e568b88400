/**
 * The crash harness: capture, import, forget and garbage collection run as child processes and are
 * killed with SIGKILL at seeded random moments, over many iterations on one store. After
 * every kill the store opens, every pack and every snapshot verifies, every snapshot a
 * finished capture tagged `keep` is still there (the policy keeps tagged snapshots), and
 * every agent's head restores byte-exact to what was captured; at the end every snapshot
 * in the catalog restores.
 *
 * MEMSNAP_HARNESS_ITERATIONS (default 24) operations; MEMSNAP_HARNESS_SEED reproduces a run.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captureAgent } from '../../src/capture/index.js';
import { verifyStore } from '../../src/cas/index.js';
import { exportBundle } from '../../src/export/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { restoreSnapshot } from '../../src/restore/index.js';
import { Repository } from '../../src/snapshot/index.js';
import { createAgentFixture, mutateAgent, type AgentFixture } from '../helpers/agent-fixture.js';
import { seededUnit } from '../helpers/deterministic-bytes.js';
import { runAndKillAfterReady } from '../helpers/kill-child.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-harness-');
const CHILD = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));
const ITERATIONS = Number(process.env['MEMSNAP_HARNESS_ITERATIONS'] ?? 24);
const SEED = Number(process.env['MEMSNAP_HARNESS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/** Relative path → sha256 of every regular file under `dir` (databases by their rows). */
function digest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const abs = path.join(dir, rel);
    if (!fs.lstatSync(abs).isFile() || /-(wal|shm|journal)$/.test(rel) || /\.(db|sqlite)$/.test(rel)) continue;
    out.set(rel, createHash('sha256').update(fs.readFileSync(abs)).digest('hex'));
  }
  return out;
}

describe('crash harness: capture, import, forget and gc killed at random', () => {
  it(`never loses a committed snapshot (seed ${SEED})`, async () => {
    console.log(`harness seed=${SEED} iterations=${ITERATIONS} (rerun with MEMSNAP_HARNESS_SEED=${SEED})`);
    const root = tempDir();
    const storeDir = path.join(root, 'store');
    (await Repository.init(storeDir, { packTargetBytes: 64 << 10 })).close();
    const random = seededUnit(SEED);
    const agents: Record<string, AgentFixture> = {
      a: createAgentFixture(path.join(root, 'fx-a'), { seed: SEED % 997, notes: 12, git: false }),
      b: createAgentFixture(path.join(root, 'fx-b'), { seed: (SEED % 991) + 1, notes: 12, git: false }),
    };
    // A second store that sends agent `remote` as a full-history bundle to the harness store.
    const sender = await Repository.init(path.join(root, 'sender'), { durable: false });
    const remote = createAgentFixture(path.join(root, 'fx-remote'), { seed: (SEED % 983) + 2, notes: 12, git: false });
    const bundle = path.join(root, 'remote.tar.zst');
    const kept = new Map<string, string>(); // tagged snapshot id → agent
    const captured = new Map<string, Map<string, string>>(); // snapshot id → file digests at capture
    const typical: Record<string, number> = {};
    const kills: Record<string, number> = {};
    for (let i = 0; i < ITERATIONS; i++) {
      const roll = random();
      const role = roll < 0.45 ? 'capture' : roll < 0.6 ? 'import' : roll < 0.8 ? 'forget' : 'gc';
      const agent = random() < 0.5 ? 'a' : 'b';
      const tag = role === 'capture' && random() < 0.3 ? 'keep' : '-';
      if (role === 'capture') mutateAgent(agents[agent]!, 40);
      const before = role === 'capture' ? digest(agents[agent]!.dir) : undefined;
      if (role === 'import') {
        mutateAgent(remote, 40);
        const id = (await captureAgent(sender, { dir: remote.dir, agent: 'remote', git: false })).snapshot.id;
        captured.set(id, digest(remote.dir));
        const history = sender.catalog.list({ agent: 'remote' }).reverse().map((s) => s.id);
        const out = fs.createWriteStream(bundle);
        await exportBundle(sender, out, { snapshots: history });
        await new Promise((resolve) => out.end(resolve));
      }
      const args = role === 'capture' ? [role, storeDir, agents[agent]!.dir, agent, tag] : role === 'import' ? [role, storeDir, bundle] : [role, storeDir];
      // The first run of each role finishes and sets the scale of later kill delays.
      const delay = typical[role] === undefined ? 120_000 : Math.floor(random() * typical[role]! * 1.5);
      const run = await runAndKillAfterReady(CHILD, args, delay);
      if (run.killed) kills[role] = (kills[role] ?? 0) + 1;
      else {
        expect(run.code, run.stderr).toBe(0);
        typical[role] ??= run.ranMs;
        const result = JSON.parse(run.stdout) as { committed?: string; tagged?: boolean };
        if (result.committed) {
          captured.set(result.committed, before!);
          if (result.tagged) kept.set(result.committed, agent);
        }
      }

      const repo = await Repository.open(storeDir);
      try {
        const packs = await verifyStore(repo.chunks);
        expect(packs.damaged, `iteration ${i} (${role}${run.killed ? ', killed' : ''})`).toEqual([]);
        expect(packs.ok).toBe(true);
        expect((await verifySnapshots(repo)).damage, `iteration ${i}`).toEqual([]);
        for (const id of kept.keys()) expect(repo.catalog.get(id as never), `tagged ${id} after iteration ${i}`).toBeDefined();
        for (const name of repo.catalog.agents()) {
          const head = repo.catalog.head(name)!;
          const target = path.join(root, 'check', `${i}-${name}`);
          await restoreSnapshot(repo, { snapshot: head, target, fields: false });
          const expected = captured.get(head);
          // A capture killed after its commit is not in `captured`; its content is checked by verify.
          if (expected) expect(digest(target)).toEqual(expected);
          fs.rmSync(target, { recursive: true, force: true });
        }
      } finally {
        await repo.close();
      }
    }
    console.log(`kills by role: ${JSON.stringify(kills)}; tagged snapshots kept: ${kept.size}`);
    await sender.close();
    expect(Object.values(kills).reduce((a, b) => a + b, 0)).toBeGreaterThan(ITERATIONS / 5);

    const repo = await Repository.open(storeDir);
    try {
      for (const info of repo.catalog.list()) {
        const target = path.join(root, 'final', info.id.slice(0, 12));
        await restoreSnapshot(repo, { snapshot: info.id, target, fields: false });
        const expected = captured.get(info.id);
        if (expected) expect(digest(target)).toEqual(expected);
      }
    } finally {
      await repo.close();
    }
  });
});
