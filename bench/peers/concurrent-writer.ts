/**
 * Snapshots under a concurrent writer: a WAL ledger database (ledger.ts) in a directory,
 * while test/capture/fixtures/ledger-writer.ts commits transfers in a tight loop in
 * another process. Every tool snapshots the directory `perTool` times (order rotating);
 * then the writer stops and every snapshot is restored and checked: integrity_check and
 * the ledger's invariants, after opening the restored database the way an application
 * would (SQLite replays whatever WAL was restored).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkLedger, createLedger } from './ledger.js';
import type { ConcurrentRecord } from './records.js';
import { rotate, type SnapshotTool } from './snapshot-tool.js';

/** Options of {@link runConcurrentWriter}. */
export interface ConcurrentWriterOptions {
  readonly tools: SnapshotTool[];
  /** A new directory (created). */
  readonly work: string;
  /** The repository root (for the writer fixture and tsx). */
  readonly repoRoot: string;
  /** Padding rows of 3,000 random bytes: the database's size. */
  readonly paddingRows: number;
  readonly perTool: number;
  readonly log: (line: string) => void;
}

/** The records, and how many transactions the writer committed meanwhile. */
export interface ConcurrentWriterResult {
  readonly records: ConcurrentRecord[];
  readonly commits: number;
  readonly databaseBytes: number;
}

/** Runs the scenario. @throws when the writer fails. */
export async function runConcurrentWriter(o: ConcurrentWriterOptions): Promise<ConcurrentWriterResult> {
  const dir = path.join(o.work, 'agent');
  fs.mkdirSync(dir, { recursive: true });
  const db = path.join(dir, 'ledger.db');
  createLedger(db, o.paddingRows);
  fs.writeFileSync(path.join(dir, 'notes.md'), 'an agent whose ledger is written while it is snapshotted\n');
  const databaseBytes = fs.statSync(db).size;
  for (const tool of o.tools) tool.init(path.join(o.work, `store-${tool.name}`));
  const stop = path.join(o.work, 'stop');
  const writer = spawn(process.execPath, ['--import', 'tsx', path.join(o.repoRoot, 'test/capture/fixtures/ledger-writer.ts'), stop, db], { cwd: o.repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  writer.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => writer.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    writer.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('ready')) resolve();
    });
    writer.on('error', reject);
    void exited.then((code) => reject(new Error(`ledger writer exited early (${code}): ${stderr}`)));
  });
  const taken: { tool: SnapshotTool; id: string; wallMs: number; warnings: string[] }[] = [];
  try {
    // Let the WAL fill and checkpoints start before the first snapshot.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let k = 0; k < o.perTool; k++) {
      for (const tool of rotate(o.tools, k)) {
        const s = tool.snapshot(dir, 'ledger');
        taken.push({ tool, id: s.id, wallMs: s.run.wallMs, warnings: s.warnings });
      }
    }
  } finally {
    fs.writeFileSync(stop, '');
  }
  const code = await exited;
  if (code !== 0) throw new Error(`ledger writer exited ${code}: ${stderr}`);
  const { commits } = JSON.parse(stdout) as { commits: number };
  const records: ConcurrentRecord[] = [];
  for (const [i, t] of taken.entries()) {
    const target = path.join(o.work, `restore-${i}`);
    t.tool.restore(t.id, target);
    const check = checkLedger(path.join(target, 'ledger.db'));
    records.push({ tool: t.tool.name, wallMs: t.wallMs, warnings: t.warnings, check });
    fs.rmSync(target, { recursive: true, force: true });
  }
  for (const tool of o.tools) {
    const mine = records.filter((r) => r.tool === tool.name);
    o.log(`concurrent writer, ${tool.name}: ${mine.filter((r) => r.check.ok).length}/${mine.length} restores consistent${mine.some((r) => !r.check.ok) ? ` (${mine.find((r) => !r.check.ok)!.check.problem})` : ''}`);
  }
  return { records, commits, databaseBytes };
}
