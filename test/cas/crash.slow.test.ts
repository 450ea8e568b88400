/**
 * Crash safety: a child writes and flushes chunks in a loop and is killed with SIGKILL at a
 * seeded random moment, several times over one store. After each kill the store opens,
 * verifies clean (no index entry points at missing or partial bytes), and every id the child
 * reported as flushed reads back intact.
 *
 * MEMSNAP_CRASH_ITERATIONS (default 15) kills; MEMSNAP_CRASH_SEED reproduces a run (the seed
 * is printed); MEMSNAP_CRASH_MAX_DELAY_MS (default 600) bounds the time before a kill.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initLocalStore, openLocalStore } from '../../src/cas/local-store.js';
import { verifyStore } from '../../src/cas/verify-store.js';
import { isContentId, type ContentId } from '../../src/hash/index.js';
import { seededUnit } from '../helpers/deterministic-bytes.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-crash-');
const CHILD = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ITERATIONS = Number(process.env['MEMSNAP_CRASH_ITERATIONS'] ?? 15);
const MAX_DELAY_MS = Number(process.env['MEMSNAP_CRASH_MAX_DELAY_MS'] ?? 600);
const SEED = Number(process.env['MEMSNAP_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/** Runs the writer until `delayMs` after it is ready, then SIGKILLs it. Resolves with its signal. */
function runAndKill(storeDir: string, seed: number, idsFile: string, delayMs: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storeDir, String(seed), idsFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let armed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (!armed && d.toString().includes('ready')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ signal, stderr }));
  });
}

function flushedIds(idsFile: string): ContentId[] {
  if (!existsSync(idsFile)) return [];
  // A kill during the append can leave a partial last line: keep only whole ids.
  return readFileSync(idsFile, 'utf8').split('\n').filter(isContentId);
}

describe('SIGKILL during writes', () => {
  it(`leaves a store that verifies and keeps every flushed chunk (seed ${SEED})`, async () => {
    console.log(`crash test seed=${SEED} iterations=${ITERATIONS} (rerun with MEMSNAP_CRASH_SEED=${SEED})`);
    const dir = tempDir();
    const storeDir = path.join(dir, 'store');
    const store = await initLocalStore(storeDir, { packTargetBytes: 64 << 10 });
    await store.close();
    const random = seededUnit(SEED);
    const all = new Set<ContentId>();
    for (let i = 0; i < ITERATIONS; i++) {
      const idsFile = path.join(dir, `ids-${i}.txt`);
      const delay = Math.floor(random() * MAX_DELAY_MS);
      const context = `seed ${SEED}, iteration ${i}, kill after ${delay} ms`;
      const { signal, stderr } = await runAndKill(storeDir, Math.floor(random() * 2 ** 31), idsFile, delay);
      expect(signal, `${context}: the child died on its own: ${stderr}`).toBe('SIGKILL');

      const reopened = await openLocalStore(storeDir);
      const report = await verifyStore(reopened);
      expect(report.damaged, context).toEqual([]);
      expect(report.packProblems, context).toEqual([]);
      expect(report.ok, context).toBe(true);
      for (const id of flushedIds(idsFile)) all.add(id);
      for (const id of all) {
        const bytes = await reopened.get(id).catch((err: unknown) => {
          throw new Error(`${context}: flushed chunk ${id} is not readable: ${String(err)}`);
        });
        expect(bytes.length, context).toBeGreaterThan(0);
      }
      await reopened.close();
    }
    // The loop must have had something to lose: most kills land after some flushes.
    expect(all.size, `seed ${SEED}: no batch was ever flushed; raise MEMSNAP_CRASH_MAX_DELAY_MS`).toBeGreaterThan(0);
    const leftovers = readdirSync(path.join(storeDir, 'tmp'));
    console.log(`crash test: ${all.size} flushed chunks survived ${ITERATIONS} kills; ${leftovers.length} temp files left for cleanTemporary`);
  });
});
