/**
 * Runs every benchmark and prints one markdown table (`npm run bench`).
 * `--json FILE` also writes the rows as JSON; `--quick` uses smaller inputs.
 * Benchmarks print numbers; they never fail on time.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { benchChunkSizes } from './chunk-sizes.js';
import { benchChunkers } from './chunker.js';
import { randomData, textData } from './data.js';
import { benchHash } from './hash.js';
import { benchChunkAndHash, benchIngest } from './ingest.js';
import { formatTable, progress, type BenchRow } from './lib.js';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const quick = args.includes('--quick');

const bigBytes = quick ? 64 << 20 : 256 << 20;
const ingestBytes = quick ? 32 << 20 : 128 << 20;
progress(`generating ${bigBytes >> 20} MiB random and ${ingestBytes >> 20} MiB text`);
const random = randomData(bigBytes, 1);
const text = textData(ingestBytes, 2);

const loadBefore = loadavg()[0]!.toFixed(2);
const rows: BenchRow[] = [];
rows.push(...(await benchHash(random)));
rows.push(...(await benchChunkers(random, text)));
rows.push(...(await benchChunkAndHash(random)));
rows.push(...(await benchIngest(text, random.subarray(0, ingestBytes))));
rows.push(...(await benchIngest(text, random.subarray(0, ingestBytes), false)));
rows.push(...(await benchChunkSizes(quick)));

// Load average before and after: other processes on a 2-core machine halve these numbers.
const load = `${loadBefore} -> ${loadavg()[0]!.toFixed(2)}`;
const machine = { date: new Date().toISOString(), nproc: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, load };
process.stdout.write(`machine: ${machine.nproc} x ${machine.cpu}, node ${machine.node}, ${machine.date}, 1-min load ${load}\n\n${formatTable(rows)}\n`);
if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ machine, rows }, null, 2)}\n`);
// Worker pools are unreferenced when idle; nothing keeps the process alive.
