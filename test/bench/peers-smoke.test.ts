/**
 * The peer bench's own logic, without the peers (no Debian packages needed): the rotation
 * of tool order, the ledger check (a consistent ledger passes, a torn one fails), the
 * SVG chart's shape, the report's tables, and, when `/usr/bin/time` is installed, the
 * timed process runner. The tools themselves are exercised only by `npm run bench:peers`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkLedger, createLedger } from '../../bench/peers/ledger.js';
import type { SnapshotRecord } from '../../bench/peers/records.js';
import { peerTables, storeSizePanels } from '../../bench/peers/report.js';
import { rotate } from '../../bench/peers/snapshot-tool.js';
import { lineChartSvg } from '../../bench/peers/svg-chart.js';
import { runTimed, TIME_BIN, treeBytes } from '../../bench/peers/timed-process.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs('memsnap-peers-smoke-');

function snapshots(tool: string, growth: number): SnapshotRecord[] {
  return [0, 1, 2, 3].map((step) => ({
    repeat: 0, tool, phase: step === 0 ? 'initial' : step === 3 ? 'no-change' : 'turn', step, position: step % 2,
    wallMs: 100 * (step + 1), cpuMs: 50, maxRssKiB: 2048, storeBytes: 1e6 + step * growth, growth: step === 0 ? 1e6 : growth,
    logicalBytes: 2e6, ...(step === 1 || step === 2 ? { changedZstd: growth / 2 } : {}), warnings: [],
  }));
}

describe('peer bench', () => {
  it('rotates the tool order by any step', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], -1)).toEqual(['c', 'a', 'b']);
  });

  it('passes a consistent ledger and fails one whose invariants are broken', () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.db');
    createLedger(good, 20);
    expect(checkLedger(good)).toEqual({ ok: true, transfers: 0, problem: '' });
    const bad = path.join(dir, 'bad.db');
    createLedger(bad, 20);
    const db = new Database(bad);
    db.prepare('UPDATE accounts SET balance = balance + 1 WHERE id = 1').run();
    db.close();
    expect(checkLedger(bad)).toMatchObject({ ok: false, problem: 'sum(balance) = 50001, expected 50000' });
    fs.writeFileSync(path.join(dir, 'torn.db'), Buffer.concat([fs.readFileSync(good).subarray(0, 8192), Buffer.alloc(8192, 7)]));
    expect(checkLedger(path.join(dir, 'torn.db')).ok).toBe(false);
  });

  it('draws one polyline per tool and panel, with finite coordinates', () => {
    const records = [...snapshots('memsnap', 1000), ...snapshots('restic', 5000)];
    const svg = lineChartSvg('store <size>', storeSizePanels({ tools: ['memsnap', 'restic'], repeats: 1, snapshots: records, restores: [], fleet: [], concurrent: [] }));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg).toContain('store &lt;size&gt;');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('reports medians, growth ratios and the ratio to memsnap per run', () => {
    const records = [...snapshots('memsnap', 1000), ...snapshots('restic', 5000)];
    const md = peerTables({ tools: ['memsnap', 'restic'], repeats: 1, snapshots: records, restores: [], fleet: [], concurrent: [] });
    expect(md).toContain('| turn session | memsnap | restic |');
    expect(md).toContain('| growth ÷ changed, all turns summed | 2.00× | 2.00× |');
    expect(md).toContain('| per-turn time ÷ memsnap (per run) | 1.00× | 1.00× |');
  });

  it.skipIf(!fs.existsSync(TIME_BIN))('times a process and measures a tree', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'a'));
    fs.writeFileSync(path.join(dir, 'a', 'f'), 'x'.repeat(1000));
    const run = runTimed('sh', ['-c', 'echo out; exit 1'], { okStatus: [1] });
    expect(run).toMatchObject({ status: 1, stdout: 'out\n' });
    expect(run.maxRssKiB).toBeGreaterThan(0);
    expect(run.cpuMs).toBeGreaterThanOrEqual(0);
    expect(() => runTimed('sh', ['-c', 'exit 2'])).toThrow(/exited 2/);
    expect(treeBytes(dir)).toBe(1000);
  });
});
