/**
 * Two processes write distinct and overlapping chunks into one local store at the same
 * time. Both must succeed, every chunk either wrote must read back, and the store must verify.
 * MEMSNAP_CONCURRENCY_CHUNKS (default 1000) sets the loop count of each writer (2 chunks per step).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { initLocalStore, openLocalStore } from '../../src/cas/local-store.js';
import { verifyStore } from '../../src/cas/verify-store.js';
import { parseContentId } from '../../src/hash/index.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-concurrency-');
const CHILD = fileURLToPath(new URL('./fixtures/concurrent-writer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COUNT = Number(process.env['MEMSNAP_CONCURRENCY_CHUNKS'] ?? 1000);

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startWriter(storeDir: string, name: string, goFile: string, onReady: () => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storeDir, name, String(COUNT), goFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes(`${name} ready`)) onReady();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('two processes writing one local store', () => {
  it('both succeed; every chunk is readable and the store verifies', async () => {
    const dir = tempDir();
    const store = await initLocalStore(path.join(dir, 'store'), { packTargetBytes: 64 << 10 });
    await store.close();
    const goFile = path.join(dir, 'go');
    let ready = 0;
    let release!: () => void;
    const bothReady = new Promise<void>((r) => (release = r));
    const onReady = () => {
      if (++ready === 2) release();
    };
    const a = startWriter(path.join(dir, 'store'), 'alpha', goFile, onReady);
    const b = startWriter(path.join(dir, 'store'), 'beta', goFile, onReady);
    await Promise.race([bothReady, Promise.all([a, b])]);
    writeFileSync(goFile, 'go');
    const results = await Promise.all([a, b]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const outputs = results.map((r) => JSON.parse(r.stdout) as { ids: string[]; startMs: number; endMs: number });
    const [x, y] = outputs as [(typeof outputs)[0], (typeof outputs)[0]];
    // The writes really overlapped in time (otherwise this test proves nothing).
    expect(x.startMs < y.endMs && y.startMs < x.endMs, JSON.stringify(outputs.map((o) => [o.startMs, o.endMs]))).toBe(true);
    const ids = new Set(outputs.flatMap((o) => o.ids.map(parseContentId)));
    // Each writer wrote COUNT own chunks and COUNT shared ones.
    expect(ids.size).toBe(3 * COUNT);
    const reopened = await openLocalStore(path.join(dir, 'store'));
    for (const id of ids) expect((await reopened.get(id)).length).toBeGreaterThan(0);
    const report = await verifyStore(reopened);
    expect(report).toMatchObject({ ok: true, damaged: [], packProblems: [], unindexedPacks: [] });
    expect(reopened.stats().chunks).toBe(3 * COUNT);
    await reopened.close();
  });
});
