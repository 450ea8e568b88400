/**
 * Garbage collection at scale: a store of ≥ 1,000,000 chunks and ≥ 10,000 snapshots,
 * forget about half the snapshots, then a dry run and a real collection, each in a fresh
 * process so its peak RSS is the collection's alone; then verify retained snapshots.
 * The same again at a tenth of the size (`--compare 10`: a tenth of the chunks, snapshots
 * and agents, each agent with the same history), so peak memory can be compared across a
 * 10× change in store size (bounded memory: it should grow far less than 10×).
 *
 *   npx tsx bench/gc-scale.ts [--chunks 1000000] [--snapshots 10000] [--agents 20]
 *                             [--compare 10] [--verify all|N] [--json FILE]
 *                             [--store DIR] [--cache DIR] [--no-cache] [--keep]
 *                             [--yield-probe N] [--yield-every N]
 *
 * The store (bench/gc-scale/generate.ts) is generated once per parameter set into
 * `--cache` (default /tmp/memsnap-bench-cache/gc-scale-…; `--no-cache` regenerates, e.g.
 * after a store format change) and copied before each run, since collection changes it;
 * working copies go under `--store` (default a new temp dir, removed at the end unless
 * --keep). Retention: `keepLast` half of each agent's snapshots plus `keepDaily: 14`
 * (snapshots are one simulated hour apart). `--verify all` (default) checks every retained
 * snapshot after the collection; `--verify N` checks each agent's head and oldest retained
 * snapshot plus N chosen at random. `--yield-probe N` repeats every size on a fresh copy
 * with the event loop let turn once every N chunk reads (a diagnostic: it shows how much
 * of the peak RSS is native memory of N-API Buffers whose finalizers wait for a turn; see
 * child.ts); `--yield-every N` measures only that way.
 *
 * Prints numbers; never fails on time. A collection that breaks a retained snapshot, or
 * whose numbers disagree (dry run vs real run, marked vs left, pack files vs index), is
 * reported under "checks failed" and sets exit code 1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { forgetByPolicy, type RetentionPolicy } from '../src/gc/index.js';
import { Repository } from '../src/snapshot/index.js';
import type { ChildResult } from './gc-scale/child.js';
import { generateStore, type GenerateResult } from './gc-scale/generate.js';
import { formatTable, progress, type BenchRow } from './lib.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'gc-scale', 'child.ts');
/** Bump when the generator changes what it writes (invalidates cached stores). */
const GENERATOR_VERSION = 2;
const MiB = 1 << 20;

const { values: args } = parseArgs({
  options: {
    chunks: { type: 'string', default: '1000000' },
    snapshots: { type: 'string', default: '10000' },
    agents: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    compare: { type: 'string', default: '10' },
    verify: { type: 'string', default: 'all' },
    json: { type: 'string' },
    store: { type: 'string' },
    cache: { type: 'string', default: path.join(os.tmpdir(), 'memsnap-bench-cache') },
    'no-cache': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'yield-probe': { type: 'string', default: '0' },
    'yield-every': { type: 'string', default: '0' },
  },
});

interface Size {
  readonly chunks: number;
  readonly snapshots: number;
  readonly agents: number;
  readonly seed: number;
}

/** Everything measured at one size. */
interface SizeResult {
  readonly label: string;
  readonly size: Size;
  readonly generated: GenerateResult & { cached: boolean; copyMs: number; generatorPeakRssBytes?: number };
  readonly policy: RetentionPolicy;
  readonly forget: { removed: number; retained: number; ms: number };
  readonly disk: { before: DiskUse; afterGc: DiskUse };
  readonly baseline: ChildResult;
  readonly dry: ChildResult;
  readonly gc: ChildResult;
  readonly verify: ChildResult;
  readonly checks: readonly string[];
}

interface DiskUse {
  readonly packsBytes: number;
  readonly packFiles: number;
  /** index.sqlite with its -wal and -shm. */
  readonly indexBytes: number;
  readonly walBytes: number;
  readonly totalBytes: number;
}

function diskUse(store: string): DiskUse {
  let packsBytes = 0;
  let packFiles = 0;
  let indexBytes = 0;
  let walBytes = 0;
  let totalBytes = 0;
  for (const e of fs.readdirSync(store, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath, e.name);
    const size = fs.statSync(abs).size;
    totalBytes += size;
    if (e.name.endsWith('.pack')) (packsBytes += size), packFiles++;
    if (e.name.startsWith('index.sqlite')) indexBytes += size;
    if (e.name === 'index.sqlite-wal') walBytes += size;
  }
  return { packsBytes, packFiles, indexBytes, walBytes, totalBytes };
}

function label(s: Size): string {
  const n = (x: number) => (x >= 1e6 ? `${x / 1e6}M` : x >= 1e3 ? `${x / 1e3}k` : String(x));
  return `${n(s.chunks)} chunks / ${n(s.snapshots)} snaps`;
}

/** A cached generated store (generated now when missing), copied to `work`. */
async function prepareStore(size: Size, work: string): Promise<SizeResult['generated']> {
  const key = `gc-scale-v${GENERATOR_VERSION}-c${size.chunks}-s${size.snapshots}-a${size.agents}-seed${size.seed}`;
  const cacheDir = path.join(args.cache!, key);
  const cacheStore = path.join(cacheDir, 'store');
  const manifestFile = path.join(cacheDir, 'manifest.json');
  let cached = !args['no-cache'] && fs.existsSync(manifestFile);
  let gen: GenerateResult & { generatorPeakRssBytes?: number };
  if (cached) {
    gen = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as GenerateResult;
    progress(`${label(size)}: store from cache ${cacheDir} (generated in ${(gen.generationMs / 1000).toFixed(1)} s)`);
  } else {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.mkdirSync(cacheDir, { recursive: true });
    progress(`${label(size)}: generating into ${cacheStore}`);
    const repo = await Repository.init(cacheStore);
    try {
      gen = await generateStore(repo, { ...size, snapshotsPerPack: 20, snapshotsPerWriter: Math.max(20, Math.ceil(size.snapshots / 10)) }, progress);
      // Checkpoint the WAL so the cached index is one file and copies start clean.
      repo.chunks.index.database.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      await repo.close();
    }
    gen = { ...gen, generatorPeakRssBytes: process.resourceUsage().maxRSS * 1024 };
    fs.writeFileSync(manifestFile, `${JSON.stringify(gen, null, 2)}\n`);
    progress(`${label(size)}: generated ${gen.dataChunks.toLocaleString('en-US')} data chunks and ${gen.snapshots.toLocaleString('en-US')} snapshots in ${(gen.generationMs / 1000).toFixed(1)} s`);
    cached = false;
  }
  const t = performance.now();
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(cacheStore, work, { recursive: true });
  return { ...gen, cached, copyMs: Math.round(performance.now() - t) };
}

/** Runs one measured step in a fresh process. */
function child(store: string, mode: string, extra: string[] = [], yieldEvery = 0): ChildResult {
  const t = performance.now();
  const run = spawnSync(process.execPath, [...process.execArgv, CHILD, store, mode, ...extra], {
    env: { ...process.env, GC_SCALE_YIELD_EVERY: String(yieldEvery) },
    encoding: 'utf8',
    maxBuffer: 64 * MiB,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`child ${mode} failed (status ${run.status}, signal ${run.signal}):\n${run.stdout}`);
  const last = run.stdout.trim().split('\n').pop()!;
  const result = JSON.parse(last) as ChildResult;
  progress(`  ${mode}: ${(result.wallMs / 1000).toFixed(2)} s inside, ${((performance.now() - t) / 1000).toFixed(2)} s with process start, peak RSS ${(result.peakRssBytes / MiB).toFixed(0)} MiB`);
  return result;
}

async function runSize(size: Size, workRoot: string, yieldEvery = 0): Promise<SizeResult> {
  const work = path.join(workRoot, `c${size.chunks}-s${size.snapshots}${yieldEvery ? `-yield${yieldEvery}` : ''}`);
  const generated = await prepareStore(size, work);
  progress(`${label(size)}: working copy ${work} (copied in ${(generated.copyMs / 1000).toFixed(1)} s)`);

  const perAgent = Math.ceil(size.snapshots / size.agents);
  const policy: RetentionPolicy = { keepLast: Math.ceil(perAgent / 2), keepDaily: 14 };
  const repo = await Repository.open(work);
  let forget: SizeResult['forget'];
  try {
    const t = performance.now();
    const report = forgetByPolicy(repo, policy);
    forget = { removed: report.removed, retained: repo.catalog.list().length, ms: Math.round(performance.now() - t) };
  } finally {
    await repo.close();
  }
  progress(`${label(size)}: forgot ${forget.removed.toLocaleString('en-US')} snapshots (${JSON.stringify(policy)}), ${forget.retained.toLocaleString('en-US')} retained`);

  const before = diskUse(work);
  const baseline = child(work, 'baseline', [], yieldEvery);
  const dry = child(work, 'dry', [], yieldEvery);
  const gc = child(work, 'gc', [], yieldEvery);
  const afterGc = diskUse(work);
  const verify = child(work, 'verify', [args.verify!], yieldEvery);

  const checks: string[] = [];
  const d = dry.report!;
  const g = gc.report!;
  if (d.chunks.unreferenced !== g.chunks.unreferenced || d.chunks.unreferencedBytes !== g.chunks.unreferencedBytes) {
    checks.push(`dry run found ${d.chunks.unreferenced} unreferenced chunks (${d.chunks.unreferencedBytes} B), the real run ${g.chunks.unreferenced} (${g.chunks.unreferencedBytes} B)`);
  }
  if (d.packs.deleted !== g.packs.deleted || d.packs.rewritten !== g.packs.rewritten) {
    checks.push(`dry run planned ${d.packs.deleted} deletions / ${d.packs.rewritten} rewrites, the real run did ${g.packs.deleted} / ${g.packs.rewritten}`);
  }
  if (g.chunks.deferred === 0 && g.chunks.after !== g.chunks.marked) checks.push(`after collection ${g.chunks.after} chunks are indexed but ${g.chunks.marked} were marked`);
  if (g.chunks.before - g.chunks.unreferenced !== g.chunks.after) checks.push(`chunks before ${g.chunks.before} - unreferenced ${g.chunks.unreferenced} ≠ after ${g.chunks.after}`);
  if (afterGc.packFiles !== g.packs.after) checks.push(`${afterGc.packFiles} pack files on disk, ${g.packs.after} packs indexed`);
  if (g.roots.snapshots !== forget.retained) checks.push(`collection saw ${g.roots.snapshots} roots, ${forget.retained} snapshots retained`);
  if (!verify.verify!.ok) checks.push(`verify: ${verify.verify!.damage} damaged references, first: ${verify.verify!.firstDamage}`);
  for (const c of checks) progress(`CHECK FAILED (${label(size)}): ${c}`);
  if (!args.keep) fs.rmSync(work, { recursive: true, force: true });
  return { label: `${label(size)}${yieldEvery ? ` (diagnostic: event loop turns every ${yieldEvery} reads)` : ''}`, size, generated, policy, forget, disk: { before, afterGc }, baseline, dry, gc, verify, checks };
}

function rowsOf(r: SizeResult): BenchRow[] {
  const group = r.label;
  const rows: BenchRow[] = [];
  const add = (name: string, value: number, unit: string, note?: string) => rows.push({ group, name, value, unit, ...(note ? { note } : {}) });
  const g = r.generated;
  add('generate', g.generationMs / 1000, 's', `${g.dataChunks.toLocaleString('en-US')} data chunks, ${g.snapshots.toLocaleString('en-US')} snapshots, ${g.agents} agents, ${g.writers} writers, commits ${(g.commitMs / 1000).toFixed(1)} s${g.cached ? '; cached, copied in ' + (g.copyMs / 1000).toFixed(1) + ' s' : ''}`);
  add('store before: chunks indexed', r.gc.report!.chunks.before, 'chunks', 'data chunks + trees, list nodes, snapshot roots');
  add('store before: packs', r.disk.before.packFiles, 'packs');
  add('store before: on disk', r.disk.before.totalBytes / MiB, 'MiB', `packs ${(r.disk.before.packsBytes / MiB).toFixed(1)} MiB, index ${(r.disk.before.indexBytes / MiB).toFixed(1)} MiB (WAL ${(r.disk.before.walBytes / MiB).toFixed(1)} MiB)`);
  add('forget', r.forget.removed, 'snapshots', `${r.forget.retained.toLocaleString('en-US')} retained; ${JSON.stringify(r.policy)}; ${r.forget.ms} ms`);
  add('open only (baseline): peak RSS', r.baseline.peakRssBytes / MiB, 'MiB', 'child that opens the repository and reads stats');
  for (const [name, c] of [
    ['dry run', r.dry],
    ['gc', r.gc],
  ] as const) {
    add(`${name}: wall`, c.wallMs / 1000, 's', Object.entries(c.phases ?? {}).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', '));
    add(`${name}: CPU`, (c.cpuUserMs + c.cpuSystemMs) / 1000, 's', `user ${(c.cpuUserMs / 1000).toFixed(1)} s, system ${(c.cpuSystemMs / 1000).toFixed(1)} s`);
    add(`${name}: peak RSS`, c.peakRssBytes / MiB, 'MiB', `VmHWM; after open ${(c.openRssBytes / MiB).toFixed(0)} MiB; peak at the end of ${rssByPhase(c)}; getrusage maxRSS ${(c.maxRssBytes / MiB).toFixed(0)} MiB (includes the parent's resident set)`);
    add(`${name}: peak heap used`, c.peakHeapUsedBytes / MiB, 'MiB', `external ${(c.peakExternalBytes / MiB).toFixed(1)} MiB, array buffers ${(c.peakArrayBuffersBytes / MiB).toFixed(1)} MiB`);
    add(`${name}: mark database`, (c.markDbBytes ?? 0) / MiB, 'MiB', 'largest size seen on disk');
  }
  const rep = r.gc.report!;
  add('gc: roots', rep.roots.snapshots, 'snapshots', `${rep.roots.agents} agents, ${rep.roots.writersInFlight} writers in flight`);
  add('gc: marked', rep.chunks.marked, 'ids');
  add('gc: unreferenced', rep.chunks.unreferenced, 'chunks', `${(rep.chunks.unreferencedBytes / MiB).toFixed(1)} MiB stored; ${((100 * rep.chunks.unreferenced) / rep.chunks.before).toFixed(1)} % of chunks; deferred ${rep.chunks.deferred}`);
  add('gc: chunks after', rep.chunks.after, 'chunks');
  add('gc: packs', rep.packs.before, 'packs before', `deleted ${rep.packs.deleted}, rewritten ${rep.packs.rewritten}, written ${rep.packs.written}, after ${rep.packs.after}`);
  add('gc: pack bytes before', rep.bytes.before / MiB, 'MiB');
  add('gc: pack bytes after', rep.bytes.after / MiB, 'MiB', `${((100 * (rep.bytes.before - rep.bytes.after)) / rep.bytes.before).toFixed(1)} % reclaimed`);
  add('store after: on disk', r.disk.afterGc.totalBytes / MiB, 'MiB', `packs ${(r.disk.afterGc.packsBytes / MiB).toFixed(1)} MiB in ${r.disk.afterGc.packFiles} files, index ${(r.disk.afterGc.indexBytes / MiB).toFixed(1)} MiB (WAL ${(r.disk.afterGc.walBytes / MiB).toFixed(1)} MiB)`);
  const v = r.verify.verify!;
  add('verify retained snapshots', v.ok ? 1 : 0, 'ok', `${v.snapshots.toLocaleString('en-US')} snapshots, ${v.chunksChecked.toLocaleString('en-US')} chunks checked, ${v.damage} damaged`);
  add('verify: wall', r.verify.wallMs / 1000, 's', `peak RSS ${(r.verify.peakRssBytes / MiB).toFixed(0)} MiB`);
  add('checks failed', r.checks.length, 'count', r.checks.join('; '));
  return rows;
}

/** `open 95, mark 140, …`: peak RSS so far at the end of each phase, in MiB. */
function rssByPhase(c: ChildResult): string {
  return Object.entries(c.peakRssByPhase ?? {}).map(([k, v]) => `${k} ${(v / MiB).toFixed(0)}`).join(', ');
}

/** The headline table: time, CPU and peak memory of each collection at each size. */
function summary(results: readonly SizeResult[]): string {
  const lines = ['| size | step | wall s | CPU s | peak RSS MiB | peak heap MiB | phases (s) | peak RSS at end of phase (MiB) |', '|---|---|---:|---:|---:|---:|---|---|'];
  for (const r of results) {
    for (const [step, c] of [
      ['open only', r.baseline],
      ['gc --dry-run', r.dry],
      ['gc', r.gc],
      ['verify', r.verify],
    ] as const) {
      const phases = Object.entries(c.phases ?? {}).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ');
      lines.push(`| ${r.label} | ${step} | ${(c.wallMs / 1000).toFixed(1)} | ${((c.cpuUserMs + c.cpuSystemMs) / 1000).toFixed(1)} | ${(c.peakRssBytes / MiB).toFixed(0)} | ${(c.peakHeapUsedBytes / MiB).toFixed(0)} | ${phases} | ${rssByPhase(c)} |`);
    }
  }
  return lines.join('\n');
}

function ratioRows(small: SizeResult, big: SizeResult): BenchRow[] {
  const group = `${big.label} vs ${small.label}`;
  const chunkRatio = big.gc.report!.chunks.before / small.gc.report!.chunks.before;
  const rows: BenchRow[] = [{ group, name: 'chunks', value: chunkRatio, unit: '×' }];
  for (const [name, a, b] of [
    ['dry run', small.dry, big.dry],
    ['gc', small.gc, big.gc],
  ] as const) {
    rows.push({ group, name: `${name}: peak RSS`, value: b.peakRssBytes / a.peakRssBytes, unit: '×', note: `${(a.peakRssBytes / MiB).toFixed(0)} → ${(b.peakRssBytes / MiB).toFixed(0)} MiB` });
    rows.push({ group, name: `${name}: peak RSS above open-only baseline`, value: (b.peakRssBytes - big.baseline.peakRssBytes) / Math.max(1, a.peakRssBytes - small.baseline.peakRssBytes), unit: '×', note: `${((a.peakRssBytes - small.baseline.peakRssBytes) / MiB).toFixed(0)} → ${((b.peakRssBytes - big.baseline.peakRssBytes) / MiB).toFixed(0)} MiB` });
    rows.push({ group, name: `${name}: wall`, value: b.wallMs / a.wallMs, unit: '×' });
  }
  return rows;
}

/** The checkout's commit, marked when src/ has uncommitted changes (the numbers measure those). */
function commitOf(repoRoot: string): string {
  try {
    let commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8' }).trim()) commit += ' + uncommitted src changes';
    return commit;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const size: Size = { chunks: Number(args.chunks), snapshots: Number(args.snapshots), agents: Number(args.agents), seed: Number(args.seed) };
  for (const [k, v] of Object.entries(size)) if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${k} must be a positive integer, got ${v}`);
  if (size.snapshots < size.agents) throw new Error('--snapshots must be at least --agents');
  const factor = Number(args.compare);
  const workRoot = args.store ? path.resolve(args.store) : fs.mkdtempSync(path.join(os.tmpdir(), 'memsnap-gc-scale-'));
  fs.mkdirSync(workRoot, { recursive: true });
  progress(`work directory ${workRoot}`);
  const loadBefore = os.loadavg()[0]!.toFixed(2);
  const memsnapCommit = commitOf(path.resolve(HERE, '..'));
  const sizes: Size[] = [];
  if (factor > 1) {
    // Fewer agents with the same history each: the same shape of store, 1/factor of it.
    const agents = Math.max(1, Math.round(size.agents / factor));
    sizes.push({ ...size, chunks: Math.round(size.chunks / factor), snapshots: Math.round(size.snapshots / factor), agents });
  }
  sizes.push(size);
  const results: SizeResult[] = [];
  try {
    for (const s of sizes) results.push(await runSize(s, workRoot, Number(args['yield-every'])));
    const probe = Number(args['yield-probe']);
    if (probe > 0) for (const s of sizes) results.push(await runSize(s, workRoot, probe));
  } finally {
    if (!args.keep && !args.store) fs.rmSync(workRoot, { recursive: true, force: true });
  }

  const rows = results.flatMap(rowsOf);
  if (sizes.length === 2) rows.push(...ratioRows(results[0]!, results[1]!));
  if (sizes.length === 2 && results.length === 4) rows.push(...ratioRows(results[2]!, results[3]!));
  const load = `${loadBefore} -> ${os.loadavg()[0]!.toFixed(2)}`;
  const machine = {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1e9),
    node: process.version,
    load,
    memsnapCommit,
  };
  process.stdout.write(
    `machine: ${machine.nproc} x ${machine.cpu}, ${machine.memoryGB} GB, node ${machine.node}, ${machine.date}, 1-min load ${load}, memsnap ${machine.memsnapCommit}\n\n${summary(results)}\n\n${formatTable(rows)}\n`,
  );
  if (args.json) fs.writeFileSync(args.json, `${JSON.stringify({ machine, rows, sizes: results }, null, 2)}\n`);
  if (results.some((r) => r.checks.length > 0)) process.exitCode = 1;
}

await main();
