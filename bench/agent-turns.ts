/**
 * Agent-turn benchmark: memsnap on a realistic agent (bench/workload), turn after turn.
 *
 *   npx tsx bench/agent-turns.ts [--scale 1] [--turns 20] [--cli-turns 5] [--no-change 7]
 *                                [--restores 3] [--seed 1] [--json FILE] [--build] [--keep] [--plain]
 *
 * Prepares the agent (generated once, then copied from /tmp/memsnap-bench-cache), creates
 * a store, captures the initial state, then per turn: mutate (bench/workload/turn-mutator),
 * measure the bytes that really changed (zstd level 3), capture in-process with one open
 * Repository (as an agent process would) and record wall time, store growth (pack bytes)
 * and a phase split. Then: no-change captures in-process; turns and no-change captures as
 * CLI processes (`node dist/cli/main.js`, built with `npm run build` when missing or with
 * --build); full restores of the latest snapshot in-process and via the CLI, the first of
 * each verified against the source. Prints medians, p95 and the targets; never fails on
 * time. Defaults: scale 1, 20 in-process turns, 5 CLI turns, 7 no-change captures per mode,
 * 3 restores per mode, seed 1. In-process captures go through one CaptureSession (watch
 * mode: a change journal and in-memory store caches), as an agent process checkpointing
 * every turn would use it; `--plain` captures without one (every capture walks the
 * directory and loads the caches, like a one-off capture).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { captureAgent, CaptureSession, JsonFileStateProvider, readGitState, Repository, restoreSnapshot, sharedCompressionPool, SqliteReadCut, type CaptureOptions } from '../src/index.js';
import { sharedHashPool } from '../src/ingest/index.js';
import { prepareAgent, type AgentLayout } from './workload/agent-generator.js';
import { ChangeMeter, type ChangedBytes } from './workload/change-meter.js';
import { CliRunner } from './workload/cli-runner.js';
import { MEMORY_TABLES } from './workload/memory-db.js';
import { PHASE_NAMES, PhaseProbe, type CapturePhases } from './workload/phase-probe.js';
import { checkRestore, type RestoreCheck } from './workload/restore-check.js';
import { installFsyncProbe } from './workload/fsync-probe.js';
import { summarize, type SampleSummary } from './workload/sample-stats.js';
import { TurnMutator } from './workload/turn-mutator.js';

const AGENT = 'bench-agent';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1e6;

/** One measured capture. Times in ms, sizes in bytes. */
interface CaptureRecord {
  turn: number | null;
  mode: 'in-process' | 'cli';
  wallMs: number;
  /** The capture's own `stats.durationMs` (for the CLI: inside the process). */
  innerMs: number;
  /** `readGitState` alone right after the capture (it overlaps content storage inside a capture). */
  gitAloneMs?: number;
  /** How the databases were read (stats.databasesIncremental: pages from the WAL only). */
  databasesIncremental?: number;
  growth: number;
  changed?: ChangedBytes;
  phases?: CapturePhases;
  filesRead: number;
  databasesRead: number;
  bytesStored: number;
}

interface RestoreRecord {
  mode: 'in-process' | 'cli';
  wallMs: number;
  /** Logical bytes written (files and database images). */
  bytes: number;
  /** In-process only: fsyncSync calls during the restore and the time spent in them (ms). */
  fsyncCalls?: number;
  fsyncMs?: number;
  check?: RestoreCheck;
}

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    turns: { type: 'string', default: '20' },
    'cli-turns': { type: 'string', default: '5' },
    'no-change': { type: 'string', default: '7' },
    restores: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
    build: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    plain: { type: 'boolean', default: false },
  },
});
const scale = Number(args.scale);
const turns = Number(args.turns);
const cliTurns = Number(args['cli-turns']);
const noChange = Number(args['no-change']);
const restores = Number(args.restores);
const seed = Number(args.seed);

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Sum of the sizes of every pack file of the store, in bytes. */
function packBytes(store: string): number {
  let total = 0;
  const dir = path.join(store, 'packs');
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.pack')) total += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return total;
}

function dirBytes(dir: string, skip: (rel: string) => boolean = () => false): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const abs = path.join(e.parentPath, e.name);
    if (e.isFile() && !skip(path.relative(dir, abs))) total += fs.statSync(abs).size;
  }
  return total;
}

function machine(): Record<string, string | number> {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()) commit += ' + uncommitted src changes';
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1e9),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    memsnapCommit: commit,
    loadAverage1m: os.loadavg()[0]!.toFixed(2),
  };
}

async function main(): Promise<void> {
  const info = machine();
  const cli = new CliRunner(REPO_ROOT);
  let dist = cli.staleness();
  if (dist === 'missing' || args.build) {
    log(`building dist/ (${dist === 'missing' ? 'missing' : '--build'})`);
    try {
      cli.build();
    } catch (err) {
      // tsc still emits on type errors; go on when the entry point exists
      if (!fs.existsSync(cli.entry)) throw err;
      log(`warning: npm run build reported errors; measuring the emitted dist/ anyway`);
    }
    dist = cli.staleness() === 'missing' ? 'missing' : 'fresh';
  } else if (dist === 'stale') {
    log('warning: dist/ is older than src/; CLI numbers measure the old build (pass --build to rebuild)');
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'memsnap-agent-turns-'));
  log(`work directory ${work}`);
  let t = performance.now();
  const { layout, manifest, cached } = await prepareAgent(path.join(work, 'agent'), { seed, scale });
  const prepareMs = performance.now() - t;
  log(`agent ${cached ? 'copied from cache' : 'generated'} in ${(prepareMs / 1000).toFixed(1)} s (generation took ${(manifest.generationMs / 1000).toFixed(1)} s)`);
  const workload = {
    ...manifest,
    prepareMs: Math.round(prepareMs),
    cached,
    memdirBytes: dirBytes(layout.memdir),
    gitBytes: dirBytes(path.join(layout.memdir, '.git')),
    databaseBytes: fs.statSync(layout.database).size,
  };

  const store = path.join(work, 'store');
  const stateFlags = Object.entries(layout.stateFiles).flatMap(([name, file]) => ['--state', `${name}=${file}`]);
  const providers = Object.entries(layout.stateFiles).map(([name, file]) => new JsonFileStateProvider(name, file));
  const session = args.plain ? undefined : CaptureSession.start(layout.memdir);
  const options: CaptureOptions = { dir: layout.memdir, agent: AGENT, kind: 'automatic', stateProviders: providers, ...(session ? { session } : {}) };
  const cliCapture = ['capture', layout.memdir, '--store', store, '--agent', AGENT, '--kind', 'automatic', ...stateFlags];

  let repo = await Repository.init(store);
  const probe = PhaseProbe.install(repo, SqliteReadCut);
  const captures: CaptureRecord[] = [];
  const inProcess = async (turn: number | null, changed?: ChangedBytes): Promise<CaptureRecord> => {
    const before = packBytes(store);
    const { result, wallMs, phases } = await probe.measure(() => captureAgent(repo, options));
    const s = result.stats;
    const g = performance.now();
    await readGitState(layout.memdir);
    const gitAloneMs = performance.now() - g;
    const incremental = (s as { databasesIncremental?: number }).databasesIncremental;
    const rec: CaptureRecord = { turn, mode: 'in-process', wallMs, innerMs: s.durationMs, gitAloneMs, ...(incremental !== undefined ? { databasesIncremental: incremental } : {}), growth: packBytes(store) - before, phases, filesRead: s.filesRead, databasesRead: s.databasesRead, bytesStored: s.bytesStored, ...(changed ? { changed } : {}) };
    captures.push(rec);
    return rec;
  };
  const viaCli = (turn: number | null, changed?: ChangedBytes): CaptureRecord => {
    const before = packBytes(store);
    const { run, json } = cli.runJson<{ stats: { durationMs: number; filesRead: number; databasesRead: number; bytesStored: number } }>(cliCapture);
    const s = json.stats;
    const rec: CaptureRecord = { turn, mode: 'cli', wallMs: run.wallMs, innerMs: s.durationMs, growth: packBytes(store) - before, filesRead: s.filesRead, databasesRead: s.databasesRead, bytesStored: s.bytesStored, ...(changed ? { changed } : {}) };
    captures.push(rec);
    return rec;
  };

  const initial = await inProcess(null);
  log(`initial capture ${(initial.wallMs / 1000).toFixed(2)} s, ${(initial.growth / MB).toFixed(1)} MB of packs`);
  const mutator = TurnMutator.open(layout);
  const meter = new ChangeMeter(layout.memdir, layout.database, Object.values(layout.stateFiles));
  const mutateMs: number[] = [];
  const turn = async (): Promise<{ n: number; changed: ChangedBytes }> => {
    const t0 = performance.now();
    const r = await mutator.turn();
    mutateMs.push(performance.now() - t0);
    return { n: r.turn, changed: meter.measure() };
  };

  for (let i = 0; i < turns; i++) {
    const { n, changed } = await turn();
    const rec = await inProcess(n, changed);
    log(`turn ${n} in-process: ${rec.wallMs.toFixed(0)} ms, growth ${(rec.growth / 1024).toFixed(0)} KiB vs changed ${(changed.totalBytesZstd / 1024).toFixed(0)} KiB after zstd (${changed.files.length} files, ${changed.pages} pages)`);
  }
  await sleep(100);
  const noChangeIn: CaptureRecord[] = [];
  for (let i = 0; i < noChange; i++) noChangeIn.push(await inProcess(null));
  log(`no-change in-process: ${noChangeIn.map((r) => r.wallMs.toFixed(1)).join(', ')} ms`);
  await repo.close();

  for (let i = 0; i < cliTurns; i++) {
    const { n, changed } = await turn();
    const rec = viaCli(n, changed);
    log(`turn ${n} CLI: ${rec.wallMs.toFixed(0)} ms (inside ${rec.innerMs.toFixed(0)} ms), growth ${(rec.growth / 1024).toFixed(0)} KiB vs ${(changed.totalBytesZstd / 1024).toFixed(0)} KiB`);
  }
  await sleep(100);
  const noChangeCli: CaptureRecord[] = [];
  for (let i = 0; i < noChange; i++) noChangeCli.push(viaCli(null));
  log(`no-change CLI: ${noChangeCli.map((r) => r.wallMs.toFixed(0)).join(', ')} ms`);
  const startup = Array.from({ length: 5 }, () => cli.run(['--version']).wallMs);

  const restoresDone: RestoreRecord[] = [];
  repo = await Repository.open(store);
  const fsync = installFsyncProbe();
  const latest = await repo.readSnapshot(repo.catalog.head(AGENT)!);
  const stateProblems = Object.entries(layout.stateFiles)
    .filter(([name, file]) => sortedJson(latest.sources.state[name]) !== sortedJson(JSON.parse(fs.readFileSync(file, 'utf8'))))
    .map(([name]) => `state ${name} differs from the file`);
  for (let i = 0; i < restores; i++) {
    const target = path.join(work, `restore-in-process-${i}`);
    fsync.reset();
    t = performance.now();
    const result = await restoreSnapshot(repo, { snapshot: `${AGENT}@latest`, target, fields: false });
    restoresDone.push({ mode: 'in-process', wallMs: performance.now() - t, bytes: result.stats.bytes, fsyncCalls: fsync.calls, fsyncMs: fsync.ms, ...(i === 0 ? { check: verified(layout, target) } : {}) });
    // Restored trees stay until the work directory goes: on ext4 without a journal, inodes
    // deleted in the last minute or so are skipped one by one when a file is created in the
    // same block group, so deleting 3,400 files here made the next restore ~1.5 s slower
    // (why the CLI restores, measured after three deletions, looked 3x slower).
  }
  await repo.close();
  for (let i = 0; i < restores; i++) {
    const target = path.join(work, `restore-cli-${i}`);
    const { run, json } = cli.runJson<{ stats: { bytes: number } }>(['restore', `${AGENT}@latest`, '--target', target, '--store', store, '--no-fields']);
    restoresDone.push({ mode: 'cli', wallMs: run.wallMs, bytes: json.stats.bytes, ...(i === 0 ? { check: verified(layout, target) } : {}) });
  }
  mutator.close();

  session?.close();
  const report = buildReport({ info, dist, workload, captures, noChangeIn, noChangeCli, startup, restoresDone, stateProblems, mutateMs, store, plain: args.plain === true });
  process.stdout.write(report.markdown);
  if (args.json) fs.writeFileSync(args.json, `${JSON.stringify({ ...report.data, captures, restores: restoresDone }, null, 2)}\n`);
  if (args.keep) log(`kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}

function verified(layout: AgentLayout, target: string): RestoreCheck {
  const check = checkRestore(layout.memdir, target, path.relative(layout.memdir, layout.database), MEMORY_TABLES);
  log(`restore check: ${check.files} files, ${(check.bytes / MB).toFixed(1)} MB compared, integrity ${check.integrity}, ${check.problems.length} problems${check.problems.length ? `: ${check.problems.slice(0, 5).join('; ')}` : ''}`);
  return check;
}

/** JSON with object keys sorted, to compare values whatever their key order. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface ReportInput {
  info: Record<string, string | number>;
  dist: string;
  workload: Record<string, unknown> & { memdirBytes: number; gitBytes: number; databaseBytes: number; textBytes: number; files: number; memories: number };
  captures: CaptureRecord[];
  noChangeIn: CaptureRecord[];
  noChangeCli: CaptureRecord[];
  plain: boolean;
  startup: number[];
  restoresDone: RestoreRecord[];
  stateProblems: string[];
  mutateMs: number[];
  store: string;
}

function buildReport(input: ReportInput): { markdown: string; data: Record<string, unknown> } {
  const { captures, workload: w } = input;
  const turnsIn = captures.filter((c) => c.turn !== null && c.mode === 'in-process');
  const turnsCli = captures.filter((c) => c.turn !== null && c.mode === 'cli');
  const allTurns = captures.filter((c) => c.turn !== null);
  const initial = captures[0]!;
  const changedZ = allTurns.map((c) => c.changed!.totalBytesZstd);
  const growth = allTurns.map((c) => c.growth);
  const ratios = allTurns.map((c) => c.growth / c.changed!.totalBytesZstd);
  const aggregateRatio = growth.reduce((a, b) => a + b, 0) / changedZ.reduce((a, b) => a + b, 0);
  const restoreIn = input.restoresDone.filter((r) => r.mode === 'in-process').map((r) => r.wallMs);
  const restoreCli = input.restoresDone.filter((r) => r.mode === 'cli').map((r) => r.wallMs);
  const checks = input.restoresDone.flatMap((r) => (r.check ? [r.check] : []));
  const problems = [...input.stateProblems, ...checks.flatMap((c) => c.problems)];
  const logicalMB = (input.restoresDone[0]?.bytes ?? NaN) / MB;

  const s = {
    captureIn: summarize(turnsIn.map((c) => c.wallMs)),
    captureCli: summarize(turnsCli.map((c) => c.wallMs)),
    captureCliInner: summarize(turnsCli.map((c) => c.innerMs)),
    noChangeIn: summarize(input.noChangeIn.map((c) => c.wallMs)),
    noChangeCli: summarize(input.noChangeCli.map((c) => c.wallMs)),
    startup: summarize(input.startup),
    growth: summarize(growth),
    changedZ: summarize(changedZ),
    changedRaw: summarize(allTurns.map((c) => c.changed!.totalBytes)),
    ratio: summarize(ratios),
    restoreIn: summarize(restoreIn),
    restoreCli: summarize(restoreCli),
    files: summarize(allTurns.map((c) => c.changed!.files.length)),
    pages: summarize(allTurns.map((c) => c.changed!.pages)),
    mutate: summarize(input.mutateMs),
  };
  const ms = (x: SampleSummary, digits = 0): [string, string] => [`${x.median.toFixed(digits)} ms`, `${x.p95.toFixed(digits)} ms`];
  const sec = (x: SampleSummary): [string, string] => [`${(x.median / 1000).toFixed(2)} s`, `${(x.p95 / 1000).toFixed(2)} s`];
  const mb = (x: SampleSummary): [string, string] => [`${(x.median / MB).toFixed(3)} MB`, `${(x.p95 / MB).toFixed(3)} MB`];
  const met = (ok: boolean): string => (ok ? 'yes' : '**no**');
  const rows: string[][] = [
    ['per-turn capture, in-process', ...ms(s.captureIn), String(s.captureIn.n), '≤ 50 ms', met(s.captureIn.median <= 50)],
    ['per-turn capture, CLI process (wall)', ...sec(s.captureCli), String(s.captureCli.n), '≤ 0.2 s', met(s.captureCli.median <= 200)],
    ['  of which inside the process (stats.durationMs)', ...ms(s.captureCliInner), String(s.captureCliInner.n), '', ''],
    ['no-change capture, in-process', ...ms(s.noChangeIn, 1), String(s.noChangeIn.n), '≤ 5 ms', met(s.noChangeIn.median <= 5)],
    ['no-change capture, CLI process (wall)', ...ms(s.noChangeCli), String(s.noChangeCli.n), '', ''],
    ['CLI start-up alone (`--version`)', ...ms(s.startup), String(s.startup.n), '', ''],
    ['store growth per turn (pack bytes)', ...mb(s.growth), String(s.growth.n), '', ''],
    ['changed bytes per turn after zstd -3', ...mb(s.changedZ), String(s.changedZ.n), '', ''],
    ['growth ÷ changed-after-zstd, per turn', `${s.ratio.median.toFixed(2)}×`, `${s.ratio.p95.toFixed(2)}×`, String(s.ratio.n), '≤ 1.5×', met(s.ratio.median <= 1.5)],
    ['growth ÷ changed-after-zstd, all turns summed', `${aggregateRatio.toFixed(2)}×`, '', '', '≤ 1.5×', met(aggregateRatio <= 1.5)],
    [`full restore, in-process (${logicalMB.toFixed(0)} MB)`, ...sec(s.restoreIn), String(s.restoreIn.n), '≤ 0.5 s', met(s.restoreIn.median <= 500)],
    ['full restore, CLI process (wall)', ...sec(s.restoreCli), String(s.restoreCli.n), '≤ 0.5 s', met(s.restoreCli.median <= 500)],
    ['initial capture, in-process', `${(initial.wallMs / 1000).toFixed(2)} s`, '', '1', '', ''],
  ];
  const phaseRows = PHASE_NAMES.map((p) => {
    const x = summarize(turnsIn.map((c) => c.phases![p]));
    return [p, `${x.median.toFixed(1)} ms`, `${x.p95.toFixed(1)} ms`, `${((100 * x.median) / s.captureIn.median).toFixed(0)}%`];
  });
  const noChangePhaseRows = PHASE_NAMES.map((p) => {
    const x = summarize(input.noChangeIn.map((c) => c.phases![p]));
    return [p, `${x.median.toFixed(2)} ms`];
  });
  const readsIn = summarize(turnsIn.map((c) => c.filesRead));
  const fsyncRuns = input.restoresDone.filter((r) => r.fsyncCalls !== undefined);
  const fsyncMs = summarize(fsyncRuns.map((r) => r.fsyncMs!));
  const gitAlone = summarize(turnsIn.map((c) => c.gitAloneMs ?? NaN));
  const incremental = summarize(turnsIn.map((c) => c.databasesIncremental ?? NaN));
  const dbReads = summarize(turnsIn.map((c) => c.databasesRead));
  const i = input.info;
  const lines = [
    `## Agent turns (bench/agent-turns.ts)`,
    '',
    `In-process captures ${input.plain ? 'without a capture session (each walks the directory and loads the caches)' : 'through one CaptureSession (watch mode: change journal, caches in memory)'}.`,
    '',
    `Machine: ${i['nproc']} × ${i['cpu']}, ${i['memoryGB']} GB, ${i['os']}, Node ${i['node']}. Date ${i['date']}; 1-minute load average at start ${i['loadAverage1m']}, at end ${os.loadavg()[0]!.toFixed(2)}. memsnap ${i['memsnapCommit']}; dist/ ${input.dist === 'stale' ? 'older than src/ (CLI rows measure the previous build)' : 'built from the current src/'}.`,
    '',
    `Workload (seed ${w['seed']}, scale ${w['scale']}): ${w.files} files, ${(w.textBytes / MB).toFixed(1)} MB of notes, .git ${(w.gitBytes / MB).toFixed(1)} MB, ` +
      `memory.db ${(w.databaseBytes / MB).toFixed(1)} MB (${w.memories} memories with 384-float32 vectors, WAL mode); memdir ${(w.memdirBytes / MB).toFixed(1)} MB in all. ` +
      `Per turn: ${s.files.median} changed files (work tree + git objects/index + state), ${s.pages.median} changed database pages, ` +
      `${(s.changedRaw.median / MB).toFixed(2)} MB raw, ${(s.changedZ.median / MB).toFixed(2)} MB after zstd -3 (medians).`,
    '',
    table(['measure', 'median', 'p95', 'n', 'target', 'met'], rows),
    '',
    `Per-turn captures read a median of ${readsIn.median} files and ${dbReads.median} database(s). Restores verified: ${checks.length} of ${input.restoresDone.length} ` +
      `(${checks.map((c) => `${c.files} files, integrity ${c.integrity}, ${c.mtimeDiffers} mtimes differ, by at most ${c.mtimeMaxDiffNs} ns`).join('; ')}); problems: ${problems.length ? problems.slice(0, 10).join('; ') : 'none'}.`,
    '',
    `### Where per-turn capture time goes (in-process, ${turnsIn.length} turns)`,
    '',
    table(['phase', 'median', 'p95', 'share of median capture'], phaseRows),
    '',
    `Git status alone (readGitState right after each capture; inside a capture it runs in another process, overlapping "content"): median ${gitAlone.median.toFixed(1)} ms, p95 ${gitAlone.p95.toFixed(1)} ms. ` +
      `Databases read incrementally (WAL pages only) per turn: median ${incremental.median}.`,
    '',
    'No-change capture phases (median): ' + noChangePhaseRows.map(([p, v]) => `${p} ${v}`).join(', ') + '.',
    '',
    `Full restore, in-process: median ${fsyncRuns[0]?.fsyncCalls ?? 0} fsyncSync calls taking ${fsyncMs.median.toFixed(0)} ms of the ${s.restoreIn.median.toFixed(0)} ms.`,
    '',
    `Store after the run: ${(packBytes(input.store) / MB).toFixed(1)} MB of packs, index ${(dirBytes(input.store, (rel) => !rel.startsWith('index')) / MB).toFixed(1)} MB.`,
    '',
  ];
  return { markdown: lines.join('\n'), data: { machine: input.info, dist: input.dist, workload: w, summaries: s, aggregateRatio, problems } };
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

await main();
// Worker pools unreference themselves when idle; if anything still holds the process, say so and leave.
await Promise.all([sharedCompressionPool().close(), sharedHashPool().close()]);
setTimeout(() => {
  log('note: an active handle kept the process alive after the bench; exiting explicitly');
  process.exit(0);
}, 1000).unref();
