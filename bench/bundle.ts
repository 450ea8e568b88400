/**
 * Bundle benchmark (issue 4): export, verify and import speed, bundle size against
 * `tar | zstd -3` of the same agent directory, and the size of a one-turn incremental bundle.
 *
 *   npx tsx bench/bundle.ts [--scale 1] [--runs 3] [--seed 1] [--json FILE]
 *
 * Uses the realistic agent of bench/workload (scale 1: ~2,000 notes in git and a ~100 MB
 * WAL-mode memory database). Captures it, then `runs` times each: a full export to a file,
 * a store-less verify of that file, an import into a new empty store. MB/s is the
 * snapshot's object bytes (what the bundle carries before compression) per second of wall
 * time, best run. Then one agent turn, a capture, and an incremental export against the
 * previous snapshot. Prints numbers; never fails on time.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { captureAgent, exportBundle, importBundle, JsonFileStateProvider, Repository, sharedCompressionPool, verifyBundle, type ContentId, type ExportOptions } from '../src/index.js';
import { sharedHashPool } from '../src/ingest/index.js';
import { formatTable, progress, type BenchRow } from './lib.js';
import { prepareAgent } from './workload/agent-generator.js';
import { TurnMutator } from './workload/turn-mutator.js';

const { values } = parseArgs({ options: { scale: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' }, json: { type: 'string' } } });
const scale = Number(values.scale ?? 1);
const runs = Number(values.runs ?? 3);
const seed = Number(values.seed ?? 1);
const MB = 1e6;
const AGENT = 'bench-agent';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'memsnap-bench-bundle-'));
const rows: BenchRow[] = [];
const row = (name: string, value: number, unit: string, note?: string): void => void rows.push({ group: 'bundle', name, value, unit, ...(note ? { note } : {}) });

/** Runs `fn`, timing it and sampling memory: peak growth of RSS and of heap + array buffers, in bytes. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T; rssGrowth: number; heapGrowth: number }> {
  const heap = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const rss0 = process.memoryUsage().rss;
  const heap0 = heap();
  let rss = rss0;
  let h = heap0;
  const timer = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage().rss);
    h = Math.max(h, heap());
  }, 5);
  const t = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - t, value, rssGrowth: Math.max(rss, process.memoryUsage().rss) - rss0, heapGrowth: Math.max(h, heap()) - heap0 };
  } finally {
    clearInterval(timer);
  }
}

const best = (xs: number[]): number => Math.min(...xs);

try {
  progress(`preparing the agent (scale ${scale})`);
  const { layout } = await prepareAgent(path.join(work, 'agent'), { seed, scale });
  const providers = [new JsonFileStateProvider('cursor', layout.stateFiles.cursor), new JsonFileStateProvider('dream', layout.stateFiles.dream)];
  const src = await Repository.init(path.join(work, 'src'));
  const first = (await captureAgent(src, { dir: layout.memdir, agent: AGENT, stateProviders: providers })).snapshot.id;

  const file = path.join(work, 'full.tar.zst');
  const exportTo = (target: string, options: ExportOptions) => exportBundle(src, fs.createWriteStream(target), options);
  const exports: number[] = [];
  let objectBytes = 0;
  for (let i = 0; i < runs; i++) {
    progress(`full export ${i + 1}/${runs}`);
    const r = await timed(() => exportTo(file, { snapshots: [first] }));
    exports.push(r.ms);
    objectBytes = r.value.manifest.bytes;
    row(`full export run ${i + 1}`, r.ms, 'ms', `${r.value.manifest.entries} objects; peak growth: RSS ${(r.rssGrowth / MB).toFixed(0)} MB, heap+buffers ${(r.heapGrowth / MB).toFixed(0)} MB`);
  }
  const bundleBytes = fs.statSync(file).size;
  row('export', objectBytes / best(exports) / 1e3, 'MB/s', `${(objectBytes / MB).toFixed(1)} MB of objects, best of ${runs}`);

  const verifies: number[] = [];
  for (let i = 0; i < runs; i++) {
    progress(`verify ${i + 1}/${runs}`);
    verifies.push((await timed(() => verifyBundle(fs.createReadStream(file)))).ms);
  }
  row('verify (no store)', objectBytes / best(verifies) / 1e3, 'MB/s', `best of ${runs}`);

  const imports: number[] = [];
  for (let i = 0; i < runs; i++) {
    progress(`import ${i + 1}/${runs}`);
    const dst = await Repository.init(path.join(work, `dst-${i}`));
    const r = await timed(() => importBundle(dst, fs.createReadStream(file)));
    imports.push(r.ms);
    row(`import run ${i + 1}`, r.ms, 'ms', `peak growth: RSS ${(r.rssGrowth / MB).toFixed(0)} MB, heap+buffers ${(r.heapGrowth / MB).toFixed(0)} MB`);
    await dst.close();
    fs.rmSync(path.join(work, `dst-${i}`), { recursive: true, force: true });
  }
  row('import (into an empty store)', objectBytes / best(imports) / 1e3, 'MB/s', `best of ${runs}`);

  const recipient = await identityToRecipient(await generateX25519Identity());
  const enc = await timed(() => exportTo(path.join(work, 'full.age'), { snapshots: [first], encryption: { recipients: [recipient] } }));
  row('export, age-encrypted', objectBytes / enc.ms / 1e3, 'MB/s', 'one run');

  progress('tar | zstd -3 of the same directory');
  const tarZst = path.join(work, 'agent.tar.zst');
  execFileSync('sh', ['-c', `tar -cf - -C "${path.dirname(layout.memdir)}" "${path.basename(layout.memdir)}" | zstd -3 -q -T1 -o "${tarZst}"`]);
  const tarBytes = fs.statSync(tarZst).size;
  const dirBytes = Number(execFileSync('du', ['-sb', layout.memdir]).toString().split('\t')[0]);
  row('agent directory', dirBytes / MB, 'MB', 'du -sb, git and database included');
  row('full bundle', bundleBytes / MB, 'MB', 'memsnap export, zstd -3');
  row("tar, zstd -3", tarBytes / MB, 'MB', 'same directory, one thread');
  row('bundle / tar.zst', bundleBytes / tarBytes, 'x');

  progress('one turn, incremental bundle');
  const mutator = TurnMutator.open(layout);
  await mutator.turn();
  const second = (await captureAgent(src, { dir: layout.memdir, agent: AGENT, stateProviders: providers })).snapshot.id;
  mutator.close();
  const incr = path.join(work, 'turn.tar.zst');
  const ie = await timed(() => exportTo(incr, { snapshots: [second as ContentId], bases: [first] }));
  row('one-turn incremental bundle', fs.statSync(incr).size / MB, 'MB', `${ie.value.manifest.entries} objects, ${ie.value.manifest.external} left to the base; export ${ie.ms.toFixed(0)} ms`);
  const dst = await Repository.init(path.join(work, 'dst-incr'));
  await importBundle(dst, fs.createReadStream(file));
  const ii = await timed(() => importBundle(dst, fs.createReadStream(incr)));
  row('one-turn incremental import', ii.ms, 'ms', `head ${ii.value.refs[0]?.action}`);
  await dst.close();
  await src.close();

  const load = os.loadavg()[0]!.toFixed(2);
  process.stdout.write(`machine: ${os.availableParallelism()} x ${os.cpus()[0]?.model ?? 'unknown'}, node ${process.version}, ${new Date().toISOString()}, 1-min load ${load}\n\n${formatTable(rows)}\n`);
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify({ rows }, null, 2)}\n`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  await Promise.all([sharedCompressionPool().close(), sharedHashPool().close()]);
}
