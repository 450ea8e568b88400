/**
 * Peer comparison (issue 6): memsnap against restic, borg and casync on identical states
 * of the agent workload (bench/workload), every tool run as a whole process.
 *
 *   npx tsx bench/peers/run.ts [--turns 25] [--fleet 20] [--fleet-turns 3] [--repeat 2]
 *       [--scale 1] [--seed 1] [--no-change 3] [--concurrent 4] [--ledger-rows 8000]
 *       [--tools memsnap,restic,borg,casync] [--json FILE] [--svg FILE] [--md FILE]
 *       [--quick] [--keep]
 *
 * Installs the peers from Debian when missing, builds dist/ when missing or stale, then:
 * `--repeat` turn sessions (turn-session.ts; tool order rotated every step), one fleet of
 * `--fleet` agents diverged by `--fleet-turns` turns (fleet.ts; 0 skips it), and the
 * concurrent-writer check (`--concurrent` snapshots per tool; 0 skips it). Prints markdown
 * tables; `--json` writes every record, `--svg` the store-size chart, `--md` the markdown
 * section. `--quick` is a ~2 minute smoke run (scale 0.05, 3 turns, fleet 3, 1 repeat).
 * The default 25 turns include two of SQLite's WAL checkpoints (the agent's writer keeps
 * its connection open, so the WAL is checkpointed about every 12 turns): between
 * checkpoints a turn only appends WAL frames, which file-level chunkers deduplicate well;
 * a checkpoint rewrites scattered pages of the main database file. Never fails on time.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CliRunner } from '../workload/cli-runner.js';
import { BorgTool } from './borg-tool.js';
import { CasyncTool } from './casync-tool.js';
import { runConcurrentWriter, type ConcurrentWriterResult } from './concurrent-writer.js';
import { runFleet } from './fleet.js';
import { ensurePeers } from './install.js';
import { MemsnapTool } from './memsnap-tool.js';
import type { FleetRecord, RestoreRecord, SnapshotRecord } from './records.js';
import { peerTables, storeSizePanels, type PeerReportInput } from './report.js';
import { ResticTool } from './restic-tool.js';
import type { SnapshotTool } from './snapshot-tool.js';
import { lineChartSvg } from './svg-chart.js';
import { runTurnSession, type TurnSessionResult } from './turn-session.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ALL_TOOLS = ['memsnap', 'restic', 'borg', 'casync'];

const { values: args } = parseArgs({
  options: {
    turns: { type: 'string' },
    fleet: { type: 'string' },
    'fleet-turns': { type: 'string' },
    repeat: { type: 'string' },
    scale: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'no-change': { type: 'string' },
    concurrent: { type: 'string' },
    'ledger-rows': { type: 'string' },
    tools: { type: 'string', default: ALL_TOOLS.join(',') },
    json: { type: 'string' },
    svg: { type: 'string' },
    md: { type: 'string' },
    quick: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const num = (v: string | undefined, full: number, small: number): number => (v !== undefined ? Number(v) : quick ? small : full);
const opts = {
  turns: num(args.turns, 25, 3),
  fleet: num(args.fleet, 20, 3),
  fleetTurns: num(args['fleet-turns'], 3, 2),
  repeat: num(args.repeat, 2, 1),
  scale: num(args.scale, 1, 0.05),
  seed: Number(args.seed),
  noChange: num(args['no-change'], 3, 2),
  concurrent: num(args.concurrent, 4, 2),
  ledgerRows: num(args['ledger-rows'], 8000, 1000),
};
const toolNames = args.tools.split(',').filter(Boolean);
for (const t of toolNames) if (!ALL_TOOLS.includes(t)) throw new Error(`unknown tool ${t}; known: ${ALL_TOOLS.join(', ')}`);

function log(line: string): void {
  process.stderr.write(`# [${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Fresh adapters (each holds the state of one store). */
function makeTools(): SnapshotTool[] {
  const make: Record<string, () => SnapshotTool> = { memsnap: () => new MemsnapTool(REPO_ROOT), restic: () => new ResticTool(), borg: () => new BorgTool(), casync: () => new CasyncTool() };
  return toolNames.map((t) => make[t]!());
}

function prepareBuild(): string {
  const cli = new CliRunner(REPO_ROOT);
  const state = cli.staleness();
  if (state !== 'fresh') {
    log(`building dist/ (${state})`);
    cli.build();
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return commit;
}

async function main(): Promise<void> {
  ensurePeers(log);
  const commit = prepareBuild();
  const versions = makeTools().map((t) => t.version().split('\n')[0]!);
  const started = new Date();
  const loadStart = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'memsnap-peers-'));
  log(`work directory ${work}; ${JSON.stringify(opts)}; tools ${versions.join('; ')}`);
  const sessions: TurnSessionResult[] = [];
  for (let k = 0; k < opts.repeat; k++) {
    sessions.push(await runTurnSession({ repeat: k, tools: makeTools(), work: path.join(work, `session-${k}`), seed: opts.seed, scale: opts.scale, turns: opts.turns, noChange: opts.noChange, log }));
    if (!args.keep) fs.rmSync(path.join(work, `session-${k}`), { recursive: true, force: true });
  }
  let fleet: FleetRecord[] = [];
  if (opts.fleet > 0) {
    fleet = await runFleet({ tools: makeTools(), work: path.join(work, 'fleet'), seed: opts.seed, scale: opts.scale, agents: opts.fleet, turns: opts.fleetTurns, log });
    if (!args.keep) fs.rmSync(path.join(work, 'fleet'), { recursive: true, force: true });
  }
  let concurrent: ConcurrentWriterResult | undefined;
  if (opts.concurrent > 0) {
    concurrent = await runConcurrentWriter({ tools: makeTools(), work: path.join(work, 'concurrent'), repoRoot: REPO_ROOT, paddingRows: opts.ledgerRows, perTool: opts.concurrent, log });
  }
  const loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const snapshots: SnapshotRecord[] = sessions.flatMap((x) => x.snapshots);
  const restores: RestoreRecord[] = sessions.flatMap((x) => x.restores);
  const input: PeerReportInput = { tools: toolNames, repeats: opts.repeat, snapshots, restores, fleet, concurrent: concurrent?.records ?? [] };
  const w = sessions[0]!.workload;
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 1e9),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    memsnapCommit: commit,
    tools: versions,
    started: started.toISOString(),
    minutes: (Date.now() - started.getTime()) / 60_000,
    loadAverageStart: loadStart,
    loadAverageEnd: loadEnd,
  };
  const command = `npx tsx bench/peers/run.ts ${process.argv.slice(2).join(' ')}`.trim();
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1] ?? NaN;
  const markdown = [
    `Command: \`${command}\` (${machine.minutes.toFixed(1)} minutes). Date ${machine.started}. Machine: ${machine.cores} × ${machine.cpu}, ${machine.memoryGB} GB, ${machine.os}, Node ${machine.node}; memsnap ${commit}; ${versions.join('; ')}. Load average (1, 5, 15 min) at start ${loadStart}, at end ${loadEnd}.`,
    '',
    `Workload: seed ${opts.seed}, scale ${opts.scale}: ${w.files} files, memdir ${(w.memdirBytes / 1e6).toFixed(1)} MB with memory.db ${(w.databaseBytes / 1e6).toFixed(1)} MB (WAL, writer connection open); ` +
      `${opts.turns} turns × ${opts.repeat} runs, ${opts.noChange} no-change snapshots per run; per turn a median of ${median(w.changedFiles)} changed files and ${median(w.changedPages)} changed database pages. ` +
      (opts.fleet ? `Fleet: ${opts.fleet} agents, each the base agent plus ${opts.fleetTurns} turns of its own seed, one store per tool. ` : '') +
      (concurrent ? `Concurrent writer: a ${(concurrent.databaseBytes / 1e6).toFixed(1)} MB WAL ledger, ${opts.concurrent} snapshots per tool while test/capture/fixtures/ledger-writer.ts committed ${concurrent.commits} transactions.` : ''),
    '',
    'Cells: median (p95; runs = min–max of the per-run medians). Times are wall time of the whole process.',
    '',
    peerTables(input),
  ].join('\n');
  process.stdout.write(`${markdown}\n`);
  if (args.md) fs.writeFileSync(args.md, `${markdown}\n`);
  if (args.svg) {
    fs.mkdirSync(path.dirname(args.svg), { recursive: true });
    fs.writeFileSync(args.svg, lineChartSvg(`Store size over snapshots (agent workload, scale ${opts.scale}, ${opts.turns} turns)`, storeSizePanels(input), `${machine.started.slice(0, 16)} UTC; run 1 of ${opts.repeat}`));
  }
  if (args.json) fs.writeFileSync(args.json, `${JSON.stringify({ machine, command, options: opts, workload: sessions.map((x) => x.workload), snapshots, restores, fleet, concurrent }, null, 2)}\n`);
  if (args.keep) log(`kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}

await main();
