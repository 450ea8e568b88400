/**
 * One-off generator of `golden-vectors.json`: the cut lengths of every frozen chunker
 * parameter set on seeded input. Not a test and not run by the test suite.
 *
 * The vectors were generated once and committed. They record behaviour that every existing
 * store depends on, so they are never regenerated to make a test pass: if the golden test
 * fails, the chunker (or the seeded generator) changed, and that is the bug. Only a NEW
 * frozen chunker name may add cases; run with `--write` and review the diff by hand.
 *
 *   npx tsx test/chunker/generate-golden.ts            # print to stdout
 *   npx tsx test/chunker/generate-golden.ts --write    # refuses to overwrite existing cases
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cutLengths } from '../../src/chunker/index.js';
import { goldenChunker, goldenInput, type GoldenCase, type GoldenFile } from './golden-case.js';

const SPECS: Omit<GoldenCase, 'inputSha256' | 'cuts'>[] = [
  { chunker: 'fastcdc-v1-16k', input: 'random', seed: 0x16001, length: 3 * 1024 * 1024 + 777 },
  { chunker: 'fastcdc-v1-16k', input: 'text', seed: 0x16002, length: 1024 * 1024 + 13 },
  { chunker: 'fastcdc-v1-8k', input: 'random', seed: 0x8001, length: 2 * 1024 * 1024 + 333 },
  { chunker: 'fastcdc-v1-8k', input: 'text', seed: 0x8002, length: 1024 * 1024 + 5 },
  { chunker: 'pages-v1-8k', pageSize: 4096, input: 'random', seed: 0x4096, length: 512 * 4096 },
  { chunker: 'pages-v1-8k', pageSize: 1024, input: 'random', seed: 0x1024, length: 1024 * 1024 + 100 },
  { chunker: 'pages-v1-4k', pageSize: 4096, input: 'random', seed: 0x4004, length: 256 * 4096 },
  { chunker: 'pages-v1-4k', pageSize: 1024, input: 'random', seed: 0x4001, length: 1024 * 1024 },
];

function main(): void {
  const target = new URL('./golden-vectors.json', import.meta.url);
  const cases = SPECS.map((spec): GoldenCase => {
    const data = goldenInput(spec);
    return { ...spec, inputSha256: createHash('sha256').update(data).digest('hex'), cuts: cutLengths(data, goldenChunker(spec)) };
  });
  const file: GoldenFile = {
    _comment:
      'Golden chunk cut lengths for the frozen chunker names. Generated once by generate-golden.ts and committed. ' +
      'NEVER edit or regenerate these to make a test pass: existing stores depend on these exact cuts.',
    cases,
  };
  // One line per list of cuts keeps the file short and its diffs readable.
  const text = JSON.stringify(file, null, 2).replace(/\[\s+([\d,\s]+?)\s+\]/g, (_m, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`) + '\n';
  if (!process.argv.includes('--write')) {
    process.stdout.write(text);
    return;
  }
  if (existsSync(target)) {
    const old = JSON.parse(readFileSync(target, 'utf8')) as GoldenFile;
    for (const c of old.cases) {
      const now = cases.find((n) => n.chunker === c.chunker && n.pageSize === c.pageSize && n.seed === c.seed);
      if (JSON.stringify(now) !== JSON.stringify(c)) throw new Error(`refusing to change the committed golden case ${c.chunker}/${c.seed}`);
    }
  }
  writeFileSync(target, text);
}

main();
