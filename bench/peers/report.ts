/**
 * Turns the peer bench's records into markdown (one table per topic, one column per tool)
 * and the chart's panels. Cells give the median and the p95 of every sample, and the
 * spread across repetitions (min–max of the per-repetition medians); ratios to memsnap
 * are taken within one repetition, never across runs.
 */
import { summarize } from '../workload/sample-stats.js';
import type { ConcurrentRecord, FleetRecord, RestoreRecord, SnapshotRecord } from './records.js';
import type { ChartPanel } from './svg-chart.js';

/** Everything the report needs. */
export interface PeerReportInput {
  readonly tools: string[];
  readonly repeats: number;
  readonly snapshots: SnapshotRecord[];
  readonly restores: RestoreRecord[];
  readonly fleet: FleetRecord[];
  readonly concurrent: ConcurrentRecord[];
}

const MB = 1e6;

/** Seconds with two decimals. */
const s = (ms: number): string => (ms / 1000).toFixed(2);
const mb = (b: number, d = 1): string => (b / MB).toFixed(d);

/** "median (p95 x; runs a–b)" of a value per record, the spread over repetitions' medians. */
function cell<T extends { readonly repeat: number }>(rows: readonly T[], value: (r: T) => number, fmt: (v: number) => string, repeats: number, p95 = true): string {
  const v = rows.map(value);
  const sum = summarize(v);
  if (sum.n === 0) return '–';
  const per = Array.from({ length: repeats }, (_, k) => summarize(rows.filter((r) => r.repeat === k).map(value)).median).filter(Number.isFinite);
  const spread = per.length > 1 ? `; runs ${fmt(Math.min(...per))}–${fmt(Math.max(...per))}` : '';
  return `${fmt(sum.median)}${p95 ? ` (p95 ${fmt(sum.p95)}${spread})` : spread ? ` (${spread.slice(2)})` : ''}`;
}

/** The markdown tables. */
export function peerTables(input: PeerReportInput): string {
  const { tools, repeats } = input;
  const of = (tool: string, phase?: SnapshotRecord['phase']): SnapshotRecord[] => input.snapshots.filter((r) => r.tool === tool && (!phase || r.phase === phase));
  const rows: [string, (tool: string) => string][] = [
    ['initial snapshot, s', (t) => cell(of(t, 'initial'), (r: SnapshotRecord) => r.wallMs, s, repeats, false)],
    ['per-turn snapshot, s', (t) => cell(of(t, 'turn'), (r: SnapshotRecord) => r.wallMs, s, repeats)],
    ['no-change snapshot, s', (t) => cell(of(t, 'no-change'), (r: SnapshotRecord) => r.wallMs, s, repeats)],
    ['per-turn CPU (user+sys), s', (t) => cell(of(t, 'turn'), (r: SnapshotRecord) => r.cpuMs, s, repeats)],
    ['initial snapshot CPU, s', (t) => cell(of(t, 'initial'), (r: SnapshotRecord) => r.cpuMs, s, repeats, false)],
    ['peak RSS, initial / per-turn max, MiB', (t) => `${(Math.max(...of(t, 'initial').map((r) => r.maxRssKiB)) / 1024).toFixed(0)} / ${(Math.max(...of(t, 'turn').map((r) => r.maxRssKiB)) / 1024).toFixed(0)}`],
    ['store after initial, MB', (t) => cell(of(t, 'initial'), (r: SnapshotRecord) => r.storeBytes, (v) => mb(v), repeats, false)],
    ['store after last snapshot, MB', (t) => cell(lastPerRepeat(of(t), repeats), (r: SnapshotRecord) => r.storeBytes, (v) => mb(v), repeats, false)],
    ['growth per turn, MB', (t) => cell(of(t, 'turn'), (r: SnapshotRecord) => r.growth, (v) => mb(v, 2), repeats)],
    ['largest single-turn growth, MB (a WAL checkpoint turn when there was one)', (t) => largestGrowth(of(t, 'turn'), repeats)],
    ['growth per no-change snapshot, kB', (t) => cell(of(t, 'no-change'), (r: SnapshotRecord) => r.growth, (v) => (v / 1e3).toFixed(1), repeats)],
    ['growth ÷ changed bytes after zstd -3 (per turn)', (t) => cell(of(t, 'turn'), (r: SnapshotRecord) => r.growth / r.changedZstd!, (v) => `${v.toFixed(2)}×`, repeats)],
    ['growth ÷ changed, all turns summed', (t) => sumRatio(of(t, 'turn'))],
    ['dedup ratio (logical bytes of all snapshots ÷ store)', (t) => cell(lastPerRepeat(of(t), repeats), (r: SnapshotRecord) => logicalTotal(of(r.tool).filter((x) => x.repeat === r.repeat)) / r.storeBytes, (v) => `${v.toFixed(1)}×`, repeats, false)],
    ['full restore, s', (t) => cell(input.restores.filter((r) => r.tool === t), (r: RestoreRecord) => r.wallMs, s, repeats, false)],
    ['restore CPU, s / peak RSS, MiB', (t) => restoreCost(input.restores.filter((r) => r.tool === t))],
    ['restore check (files byte for byte, integrity, rows)', (t) => restoreVerdict(input.restores.filter((r) => r.tool === t))],
    ['per-turn snapshot when first / last in the step order, s', (t) => byPosition(of(t, 'turn'), tools.length)],
    ['per-turn time ÷ memsnap (per run)', (t) => ratioToMemsnap(input.snapshots, t, repeats)],
  ];
  const fleetRows: [string, (tool: string) => string][] = [
    ['fleet store, MB', (t) => mb(fleetOf(input.fleet, t).at(-1)?.storeBytes ?? NaN)],
    ['first agent, MB', (t) => mb(fleetOf(input.fleet, t)[0]?.storeBytes ?? NaN)],
    ['marginal per further agent, MB (median; mean)', (t) => marginal(fleetOf(input.fleet, t))],
    ['fleet snapshot per agent, s', (t) => cell(fleetOf(input.fleet, t).map((r) => ({ ...r, repeat: 0 })), (r: FleetRecord) => r.wallMs, s, 1)],
  ];
  const cwRows: [string, (tool: string) => string][] = [
    ['restores consistent (integrity + invariants)', (t) => { const m = input.concurrent.filter((r) => r.tool === t); return `${m.filter((r) => r.check.ok).length}/${m.length}`; }],
    ['first failure', (t) => oneLine(input.concurrent.find((r) => r.tool === t && !r.check.ok)?.check.problem ?? '–')],
    ['snapshots with tool warnings', (t) => String(input.concurrent.filter((r) => r.tool === t && r.warnings.length > 0).length)],
    ['snapshot under the writer, s', (t) => cell(input.concurrent.filter((r) => r.tool === t).map((r) => ({ ...r, repeat: 0 })), (r: ConcurrentRecord) => r.wallMs, s, 1)],
  ];
  const table = (title: string, body: [string, (tool: string) => string][]): string =>
    [`| ${title} | ${tools.join(' | ')} |`, `|---|${tools.map(() => '---:').join('|')}|`, ...body.map(([name, f]) => `| ${name} | ${tools.map((t) => f(t)).join(' | ')} |`)].join('\n');
  const parts = [table('turn session', rows)];
  if (input.fleet.length) parts.push(table('fleet', fleetRows));
  if (input.concurrent.length) parts.push(table('concurrent writer', cwRows));
  return `${parts.join('\n\n')}\n`;
}

/** The chart's panels: store size per snapshot, and growth since the initial snapshot, of repetition 0. */
export function storeSizePanels(input: PeerReportInput): ChartPanel[] {
  const series = (f: (r: SnapshotRecord, first: SnapshotRecord) => number) =>
    input.tools.map((t) => {
      const rows = input.snapshots.filter((r) => r.tool === t && r.repeat === 0).sort((a, b) => a.step - b.step);
      return { name: t, values: rows.map((r) => f(r, rows[0]!)) };
    });
  const xLabel = 'snapshot (0 = initial, then one per turn, then no-change)';
  return [
    { title: 'store size', yLabel: 'MB', xLabel, series: series((r) => r.storeBytes / MB) },
    { title: 'growth since the initial snapshot', yLabel: 'MB', xLabel, series: series((r, first) => (r.storeBytes - first.storeBytes) / MB) },
  ];
}

function lastPerRepeat(rows: SnapshotRecord[], repeats: number): SnapshotRecord[] {
  return Array.from({ length: repeats }, (_, k) => rows.filter((r) => r.repeat === k).sort((a, b) => a.step - b.step).at(-1)).filter((r): r is SnapshotRecord => !!r);
}

function logicalTotal(rows: SnapshotRecord[]): number {
  return rows.reduce((a, r) => a + r.logicalBytes, 0);
}

function sumRatio(rows: SnapshotRecord[]): string {
  const g = rows.reduce((a, r) => a + r.growth, 0);
  const c = rows.reduce((a, r) => a + r.changedZstd!, 0);
  return `${(g / c).toFixed(2)}×`;
}

function restoreCost(rows: RestoreRecord[]): string {
  const cpu = summarize(rows.map((r) => r.cpuMs)).median;
  return `${s(cpu)} / ${(Math.max(...rows.map((r) => r.maxRssKiB)) / 1024).toFixed(0)}`;
}

function restoreVerdict(rows: RestoreRecord[]): string {
  const ok = rows.filter((r) => r.check.problems.length === 0).length;
  const images = rows.filter((r) => r.check.imageEqual).length;
  const side = [...new Set(rows.flatMap((r) => r.check.sideFiles.map((f) => f.replace(/^.*(-wal|-shm|-journal)$/, '$1'))))];
  const first = rows.find((r) => r.check.problems.length)?.check.problems[0];
  return `${ok}/${rows.length} exact; db image equal ${images}/${rows.length}${side.length ? `; restored ${side.join(', ')}` : ''}${first ? `; ${oneLine(first)}` : ''}`;
}

function ratioToMemsnap(all: SnapshotRecord[], tool: string, repeats: number): string {
  const ratios: string[] = [];
  for (let k = 0; k < repeats; k++) {
    const med = (t: string): number => summarize(all.filter((r) => r.repeat === k && r.tool === t && r.phase === 'turn').map((r) => r.wallMs)).median;
    ratios.push(`${(med(tool) / med('memsnap')).toFixed(2)}×`);
  }
  return ratios.join(', ');
}

function fleetOf(rows: FleetRecord[], tool: string): FleetRecord[] {
  return rows.filter((r) => r.tool === tool).sort((a, b) => a.agent - b.agent);
}

function marginal(rows: FleetRecord[]): string {
  if (rows.length < 2) return '–';
  const d = rows.slice(1).map((r, i) => r.storeBytes - rows[i]!.storeBytes);
  const mean = (rows.at(-1)!.storeBytes - rows[0]!.storeBytes) / (rows.length - 1);
  return `${mb(summarize(d).median, 2)}; ${mb(mean, 2)}`;
}

/** `text` fit for a table cell: one line, no pipes, at most 120 characters. */
function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').replace(/\|/g, '/').trim();
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
}

/** Median per-turn time when the tool ran first in its step and when it ran last (order effects: page cache, CPU contention). */
function byPosition(rows: SnapshotRecord[], tools: number): string {
  const first = summarize(rows.filter((r) => r.position === 0).map((r) => r.wallMs));
  const last = summarize(rows.filter((r) => r.position === tools - 1).map((r) => r.wallMs));
  return `${first.n ? s(first.median) : '–'} / ${last.n ? s(last.median) : '–'}`;
}

/** The largest growth of one turn, and its spread over runs (min–max of each run's largest). */
function largestGrowth(rows: SnapshotRecord[], repeats: number): string {
  const per = Array.from({ length: repeats }, (_, k) => Math.max(...rows.filter((r) => r.repeat === k).map((r) => r.growth)));
  const all = Math.max(...per);
  return repeats > 1 ? `${mb(all, 2)} (runs ${mb(Math.min(...per), 2)}–${mb(all, 2)})` : mb(all, 2);
}
