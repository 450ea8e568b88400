/**
 * One measured step of the GC scale benchmark, in a process of its own so its peak RSS
 * belongs to that step alone. Started by bench/gc-scale.ts:
 *
 *   node [tsx loader] bench/gc-scale/child.ts STORE baseline|dry|gc|verify [SAMPLE]
 *
 * Prints one JSON line (a {@link ChildResult}) on stdout as its last line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectGarbage, type CollectReport } from '../../src/gc/index.js';
import { verifySnapshots } from '../../src/inspect/index.js';
import { Repository, type SnapshotInfo } from '../../src/snapshot/index.js';
import type { Progress } from '../../src/cas/index.js';
import { Rng } from '../data.js';

/** What a child measured. Times in ms, memory in bytes. */
export interface ChildResult {
  readonly mode: string;
  readonly wallMs: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /**
   * Peak resident set of this process: VmHWM of /proc/self/status on Linux. Not getrusage's
   * maxRSS: Linux carries that across fork and execve, so a child reports its parent's
   * resident set when that was larger than its own peak.
   */
  readonly peakRssBytes: number;
  /** getrusage maxRSS as reported (for comparison; see `peakRssBytes`). */
  readonly maxRssBytes: number;
  /**
   * Highest V8 heap used seen, sampled at each progress report and every 20 ms when the
   * event loop turns (a walk that only awaits resolved promises starves the timer, so the
   * progress samples are the ones that count).
   */
  readonly peakHeapUsedBytes: number;
  /** Highest `external` and `arrayBuffers` of process.memoryUsage() seen at the same samples. */
  readonly peakExternalBytes: number;
  readonly peakArrayBuffersBytes: number;
  /** Peak RSS so far at the end of each phase: which phase set the peak. */
  readonly peakRssByPhase?: Record<string, number>;
  /** Resident set right after opening the repository (before the step). */
  readonly openRssBytes: number;
  /** Phase split from the progress callback (GC only). */
  readonly phases?: Record<string, number>;
  /** Largest size the mark database reached, seen at progress reports (GC only). */
  readonly markDbBytes?: number;
  /** The collection's report, its per-pack plan reduced to a count. */
  readonly report?: Omit<CollectReport, 'plan'> & { readonly plannedPacks: number };
  readonly verify?: { ok: boolean; snapshots: number; chunksChecked: number; damage: number; firstDamage?: string };
  readonly stats?: { chunks: number; packs: number; packBytes: number; snapshots: number };
}

const [store, mode, sampleArg] = process.argv.slice(2);
if (!store || !mode) throw new Error('usage: child.ts STORE baseline|dry|gc|verify [SAMPLE]');

let peakHeap = 0;
let peakExternal = 0;
let peakArrayBuffers = 0;
const sampleHeap = (): void => {
  const m = process.memoryUsage();
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakExternal = Math.max(peakExternal, m.external);
  peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
};
/** This process's own peak RSS (VmHWM), else getrusage maxRSS where /proc is missing. */
const maxRss = (): number => {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
};
const timer = setInterval(sampleHeap, 20);

function markDbSize(): number {
  const tmp = path.join(store!, 'tmp');
  let size = 0;
  for (const dir of fs.existsSync(tmp) ? fs.readdirSync(tmp) : []) {
    if (!dir.startsWith('memsnap-gc-mark-')) continue;
    for (const f of fs.readdirSync(path.join(tmp, dir))) size += fs.statSync(path.join(tmp, dir, f), { throwIfNoEntry: false })?.size ?? 0;
  }
  return size;
}

const repo = await Repository.open(store);
// Diagnostic (GC_SCALE_YIELD_EVERY=N): let the event loop turn once every N chunk reads.
// memsnap's reads are synchronous underneath, so a long walk never leaves the microtask
// queue, and N-API finalizers (which free the native memory of Buffers returned by the
// BLAKE3 addon) only run on an event-loop turn: without a turn, every hash stays resident.
const yieldEvery = Number(process.env['GC_SCALE_YIELD_EVERY'] ?? 0);
if (yieldEvery > 0) {
  const backend = repo.chunks.backend;
  const getRange = backend.getRange.bind(backend);
  let reads = 0;
  backend.getRange = async (key, offset, length) => {
    if (++reads % yieldEvery === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    return getRange(key, offset, length);
  };
}
const openRss = process.memoryUsage().rss;
sampleHeap();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let result: Partial<ChildResult> = {};

if (mode === 'dry' || mode === 'gc') {
  // Phase boundaries from the progress callback: mark ends at its last report, the rewrite
  // starts with its `done: 0` report (after condemn, the writer wait and the sweep).
  const at: Record<string, number> = {};
  const rssAt: Record<string, number> = { open: maxRss() };
  let markDb = 0;
  let lastMarkCheck = 0;
  const onProgress = (p: Progress): void => {
    const now = performance.now() - t0;
    sampleHeap();
    if (p.phase === 'mark') {
      at['markFirst'] ??= now;
      at['markEnd'] = now;
      rssAt['mark'] = maxRss();
      if (p.done - lastMarkCheck >= 500 || p.done === p.total) {
        lastMarkCheck = p.done;
        markDb = Math.max(markDb, markDbSize());
      }
    } else if (p.phase === 'rewrite') {
      if (at['rewriteStart'] === undefined) {
        at['rewriteStart'] = now;
        rssAt['condemnSweep'] = maxRss();
      }
    }
  };
  const report = await collectGarbage(repo, { dryRun: mode === 'dry', onProgress });
  const end = performance.now() - t0;
  rssAt[mode === 'dry' ? 'preview' : 'rewrite'] = maxRss();
  const markEnd = at['markEnd'] ?? 0;
  const phases: Record<string, number> = { mark: Math.round(markEnd) };
  if (mode === 'dry') phases['preview'] = Math.round(end - markEnd);
  else {
    const rewriteStart = at['rewriteStart'] ?? end;
    phases['condemnSweep'] = Math.round(rewriteStart - markEnd);
    phases['rewrite'] = Math.round(end - rewriteStart);
  }
  const { plan, ...rest } = report;
  result = { report: { ...rest, plannedPacks: plan.length }, phases, markDbBytes: markDb, peakRssByPhase: rssAt };
} else if (mode === 'verify') {
  // Every head, the oldest retained snapshot of every agent (most exposed to rewritten
  // packs), and a deterministic random sample of the rest; `all` checks every snapshot.
  const all = repo.catalog.list();
  let chosen: SnapshotInfo[];
  if (sampleArg === 'all' || sampleArg === undefined) chosen = all;
  else {
    const n = Number(sampleArg);
    const pick = new Map<string, SnapshotInfo>();
    for (const agent of repo.catalog.agents()) {
      const mine = all.filter((s) => s.agent === agent);
      for (const s of [mine[0], mine[mine.length - 1]]) if (s) pick.set(s.id, s);
    }
    const rng = new Rng(99);
    const target = Math.min(all.length, pick.size + n);
    while (pick.size < target) {
      const s = all[rng.below(all.length)]!;
      pick.set(s.id, s);
    }
    chosen = [...pick.values()];
  }
  const v = await verifySnapshots(repo, chosen, sampleHeap);
  const first = v.damage[0];
  result = { verify: { ok: v.ok, snapshots: v.snapshots, chunksChecked: v.chunksChecked, damage: v.damage.length, ...(first ? { firstDamage: `${first.snapshot.slice(0, 12)} ${first.path} ${first.chunk.slice(0, 12)} ${first.code}: ${first.reason}` } : {}) } };
} else if (mode !== 'baseline') {
  throw new Error(`unknown mode ${mode}`);
}

const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
sampleHeap();
clearInterval(timer);
const s = repo.chunks.stats();
const stats = { chunks: s.chunks, packs: s.packs, packBytes: s.packBytes, snapshots: repo.catalog.list().length };
await repo.close();
const out: ChildResult = {
  mode,
  wallMs: Math.round(wallMs),
  cpuUserMs: Math.round(cpu.user / 1000),
  cpuSystemMs: Math.round(cpu.system / 1000),
  peakRssBytes: maxRss(),
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  peakHeapUsedBytes: peakHeap,
  peakExternalBytes: peakExternal,
  peakArrayBuffersBytes: peakArrayBuffers,
  openRssBytes: openRss,
  stats,
  ...result,
};
process.stdout.write(`\n${JSON.stringify(out)}\n`);
