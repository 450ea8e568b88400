/**
 * One repetition of the turn session: a fresh copy of the agent, every tool's store
 * initialized, then the initial snapshot, `turns` turns each followed by one snapshot per
 * tool, `noChange` snapshots of the unchanged directory, and a full restore of each
 * tool's latest snapshot verified against the live agent. The agent's writer connection
 * stays open throughout (as in a running agent) but is idle while tools run, so the
 * peers' raw copies of the database files are consistent here; see concurrent-writer.ts
 * for the case where they are not. The tool order rotates from step to step; `sync` runs
 * before the initial snapshots and before each restore (dirty pages of a previous tool's
 * restore otherwise slowed whichever tool came next by up to 4x).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareAgent } from '../workload/agent-generator.js';
import { ChangeMeter } from '../workload/change-meter.js';
import { MEMORY_TABLES } from '../workload/memory-db.js';
import { TurnMutator } from '../workload/turn-mutator.js';
import type { RestoreRecord, SnapshotRecord } from './records.js';
import { verifyAgentRestore } from './restore-verify.js';
import { rotate, type SnapshotTool } from './snapshot-tool.js';
import { treeBytes } from './timed-process.js';

/** Options of {@link runTurnSession}. */
export interface TurnSessionOptions {
  readonly repeat: number;
  readonly tools: SnapshotTool[];
  /** A new directory for the agent, stores and restores (created). */
  readonly work: string;
  readonly seed: number;
  readonly scale: number;
  readonly turns: number;
  readonly noChange: number;
  readonly log: (line: string) => void;
}

/** What one session measured, plus the workload's shape. */
export interface TurnSessionResult {
  readonly snapshots: SnapshotRecord[];
  readonly restores: RestoreRecord[];
  readonly workload: { files: number; memdirBytes: number; databaseBytes: number; changedFiles: number[]; changedPages: number[] };
}

/** Runs one repetition; leaves nothing behind in `work` but what it created. */
export async function runTurnSession(o: TurnSessionOptions): Promise<TurnSessionResult> {
  fs.mkdirSync(o.work, { recursive: true });
  const { layout, manifest } = await prepareAgent(path.join(o.work, 'agent'), { seed: o.seed, scale: o.scale });
  const mutator = TurnMutator.open(layout);
  const meter = new ChangeMeter(layout.memdir, layout.database, []);
  const snapshots: SnapshotRecord[] = [];
  const last = new Map<string, { id: string; store: number }>();
  for (const tool of o.tools) tool.init(path.join(o.work, `store-${tool.name}`));
  const step = (phase: SnapshotRecord['phase'], n: number, changedZstd?: number): void => {
    const logicalBytes = treeBytes(layout.memdir);
    for (const [position, tool] of rotate(o.tools, o.repeat + n).entries()) {
      const s = tool.snapshot(layout.memdir, 'agent');
      const storeBytes = tool.storeBytes();
      const growth = storeBytes - (last.get(tool.name)?.store ?? 0);
      last.set(tool.name, { id: s.id, store: storeBytes });
      snapshots.push({ repeat: o.repeat, tool: tool.name, phase, step: n, position, wallMs: s.run.wallMs, cpuMs: s.run.cpuMs, maxRssKiB: s.run.maxRssKiB, storeBytes, growth, logicalBytes, ...(changedZstd !== undefined ? { changedZstd } : {}), warnings: s.warnings });
    }
    const row = snapshots.slice(-o.tools.length).map((r) => `${r.tool} ${(r.wallMs / 1000).toFixed(2)} s +${(r.growth / 1e6).toFixed(2)} MB`);
    o.log(`repeat ${o.repeat} ${phase} ${n}: ${row.join(', ')}${changedZstd !== undefined ? ` (changed ${(changedZstd / 1e6).toFixed(2)} MB after zstd)` : ''}`);
  };
  const changedFiles: number[] = [];
  const changedPages: number[] = [];
  try {
    spawnSync('sync'); // the agent copy just written
    step('initial', 0);
    for (let t = 1; t <= o.turns; t++) {
      await mutator.turn();
      const changed = meter.measure();
      changedFiles.push(changed.files.length);
      changedPages.push(changed.pages);
      step('turn', t, changed.totalBytesZstd);
    }
    for (let k = 1; k <= o.noChange; k++) step('no-change', o.turns + k);
    const restores: RestoreRecord[] = [];
    for (const tool of rotate(o.tools, o.repeat)) {
      const target = path.join(o.work, `restore-${tool.name}`);
      // Flush the previous restore's dirty pages first, so their writeback is not charged to this tool.
      spawnSync('sync');
      const run = tool.restore(last.get(tool.name)!.id, target);
      const check = verifyAgentRestore(layout.memdir, target, path.relative(layout.memdir, layout.database), MEMORY_TABLES);
      o.log(`repeat ${o.repeat} restore ${tool.name}: ${(run.wallMs / 1000).toFixed(2)} s; ${check.files} files, side files [${check.sideFiles.join(', ')}], integrity ${check.integrity}, image ${check.imageEqual ? 'equal' : 'differs'}, ${check.problems.length} problems${check.problems.length ? `: ${check.problems.slice(0, 3).join('; ')}` : ''}`);
      restores.push({ repeat: o.repeat, tool: tool.name, wallMs: run.wallMs, cpuMs: run.cpuMs, maxRssKiB: run.maxRssKiB, check });
      fs.rmSync(target, { recursive: true, force: true });
    }
    return { snapshots, restores, workload: { files: manifest.files, memdirBytes: treeBytes(layout.memdir), databaseBytes: fs.statSync(layout.database).size, changedFiles, changedPages } };
  } finally {
    mutator.close();
  }
}
