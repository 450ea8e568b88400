/**
 * Frozen chunking: the gear table, the parameter sets behind each frozen name, and the cut
 * points they give on seeded input.
 *
 * `golden-vectors.json` was generated once by `generate-golden.ts` and committed. The vectors
 * are NEVER edited or regenerated to make a test pass: every existing store depends on these
 * exact cuts (a changed cut means old chunks stop deduplicating against new ones). If this
 * test fails, the chunker, the gear table or the seeded generator changed; fix that, or give
 * the new behaviour a new frozen name and add cases for it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FASTCDC_V1_16K,
  FASTCDC_V1_8K,
  GEAR_TABLE,
  GEAR_TABLE_NAME,
  PAGES_V1_4K,
  PAGES_V1_8K,
  Splitter,
  cutLengths,
  fileChunker,
  knownChunkerNames,
  pageChunker,
} from '../../src/chunker/index.js';
import { shannonEntropy } from '../helpers/seeded-random.js';
import { goldenChunker, goldenInput, type GoldenCase } from './golden-case.js';

/** SHA-256 of the 256 gear words as little-endian 32-bit integers (1024 bytes). */
const GEAR_TABLE_SHA256 = '5ec4678855aa4ca440d509e6b87e4fca63ced37dfcf699f1d1fe432b5598f2b0';


const golden = (JSON.parse(readFileSync(new URL('./golden-vectors.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] }).cases;

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');


const label = (c: GoldenCase): string => `${c.chunker}${c.pageSize === undefined ? '' : `/${c.pageSize}`} on ${c.input} seed ${c.seed}`;

describe('gear table', () => {
  it('is frozen as gear-splitmix32-v1 with a pinned digest', () => {
    expect(GEAR_TABLE_NAME).toBe('gear-splitmix32-v1');
    expect(GEAR_TABLE).toBeInstanceOf(Int32Array);
    expect(GEAR_TABLE).toHaveLength(256);
    const bytes = Buffer.alloc(1024);
    GEAR_TABLE.forEach((word, i) => bytes.writeInt32LE(word, i * 4));
    expect(sha256(bytes)).toBe(GEAR_TABLE_SHA256);
  });

  it('is what its documented generator (splitmix32 from seed 0x6d656d73) gives', () => {
    let state = 0x6d656d73;
    for (let i = 0; i < 256; i++) {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      z ^= z >>> 15;
      expect(GEAR_TABLE[i], `word ${i}`).toBe(z | 0);
    }
  });

  it('has 256 distinct words with about half their bits set', () => {
    expect(new Set(GEAR_TABLE).size).toBe(256);
    let ones = 0;
    for (const word of GEAR_TABLE) for (let x = word >>> 0; x !== 0; x >>>= 1) ones += x & 1;
    expect(ones / (256 * 32)).toBeGreaterThan(0.45);
    expect(ones / (256 * 32)).toBeLessThan(0.55);
  });
});

describe('frozen parameter sets', () => {
  it('keep their numbers forever', () => {
    expect({ ...FASTCDC_V1_16K }).toEqual({ name: 'fastcdc-v1-16k', minSize: 4096, avgSize: 16384, maxSize: 65536 });
    expect({ ...FASTCDC_V1_8K }).toEqual({ name: 'fastcdc-v1-8k', minSize: 2048, avgSize: 8192, maxSize: 32768 });
    expect({ ...PAGES_V1_8K }).toEqual({ name: 'pages-v1-8k', avgBytes: 8192, maxBytes: 65536 });
    expect({ ...PAGES_V1_4K }).toEqual({ name: 'pages-v1-4k', avgBytes: 4096, maxBytes: 65536 });
    expect(Object.isFrozen(FASTCDC_V1_16K) && Object.isFrozen(FASTCDC_V1_8K) && Object.isFrozen(PAGES_V1_8K) && Object.isFrozen(PAGES_V1_4K)).toBe(true);
  });

  it('are the names this build knows, and each resolves to a chunker of that name', () => {
    expect(knownChunkerNames().sort()).toEqual(['fastcdc-v1-16k', 'fastcdc-v1-8k', 'pages-v1-4k', 'pages-v1-8k']);
    expect(fileChunker('fastcdc-v1-16k')).toMatchObject({ name: 'fastcdc-v1-16k', maxSize: 65536 });
    expect(fileChunker('fastcdc-v1-8k')).toMatchObject({ name: 'fastcdc-v1-8k', maxSize: 32768 });
    expect(pageChunker('pages-v1-8k', 4096)).toMatchObject({ name: 'pages-v1-8k', maxSize: 65536 });
    expect(pageChunker('pages-v1-8k', 65536)).toMatchObject({ maxSize: 65536 });
  });
});

describe('golden vectors', () => {
  it('cover every frozen name, both page sizes, and hold consistent cuts', () => {
    const covered = new Set(golden.map((c) => `${c.chunker}${c.pageSize === undefined ? '' : `/${c.pageSize}`}`));
    expect([...covered].sort()).toEqual(['fastcdc-v1-16k', 'fastcdc-v1-8k', 'pages-v1-4k/1024', 'pages-v1-4k/4096', 'pages-v1-8k/1024', 'pages-v1-8k/4096']);
    for (const c of golden) {
      expect(c.cuts.reduce((a, b) => a + b, 0), label(c)).toBe(c.length);
      expect(c.cuts.length, label(c)).toBeGreaterThan(50);
    }
  });

  it.each(golden)('seeded input is unchanged: $chunker $pageSize $input seed $seed', (c) => {
    const data = goldenInput(c);
    // A failure here means the test data generator changed, not the chunker.
    expect(sha256(data)).toBe(c.inputSha256);
    expect(shannonEntropy(data)).toBeGreaterThan(c.input === 'random' ? 7.99 : 3);
  });

  it.each(golden)('cuts match: $chunker $pageSize $input seed $seed', (c) => {
    const data = goldenInput(c);
    const chunker = goldenChunker(c);
    expect(cutLengths(data, chunker)).toEqual(c.cuts);
    // The streaming path must agree too (fed in 100 000-byte pieces).
    const splitter = new Splitter(chunker);
    const streamed: number[] = [];
    for (let i = 0; i < data.length; i += 100_000) streamed.push(...splitter.push(data.subarray(i, i + 100_000)).map((ch) => ch.length));
    streamed.push(...splitter.finish().map((ch) => ch.length));
    expect(streamed).toEqual(c.cuts);
  });
});
