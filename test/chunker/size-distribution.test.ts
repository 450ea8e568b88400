/**
 * Size distribution sanity on 32 MiB of seeded random data: the mean and shape match what
 * the documented algorithm predicts, so a broken mask, threshold or normalization shows up
 * even when every cut is still "legal".
 *
 * For FastCDC the prediction is a simple model of the algorithm (a cut after each byte with
 * probability 2^-(avgBits+2) up to avgSize, then 2^-(avgBits-2), forced at maxSize). Measured
 * on this data: fastcdc-v1-16k mean 18 447 B vs 18 697 predicted (1819 chunks, 17% at or
 * below avgSize); fastcdc-v1-8k 9308 vs 9348. Under the model, an easy mask one bit off moves
 * the mean by -9% or +18%; a hard mask one bit off moves it only 5-8%, but moves the share of
 * early chunks (17%) to 9% or 31%. The two checks together catch either.
 */
import { describe, expect, it } from 'vitest';
import { cutLengths, fileChunker, pageChunker, type FastCdcChunker } from '../../src/chunker/index.js';
import { seededBytes, shannonEntropy, textLikeBytes } from '../helpers/seeded-random.js';

const DATA = seededBytes(0x32, 32 << 20);

/** Expected mean chunk size and P(size <= avgSize) under the FastCDC model, for unbounded input. */
function fastCdcModel(minSize: number, avgSize: number, maxSize: number): { mean: number; pEarly: number } {
  const bits = Math.log2(avgSize);
  const hard = 2 ** -(bits + 2);
  const easy = 2 ** -(bits - 2);
  let survive = 1;
  let mean = 0;
  let pEarly = 0;
  for (let len = minSize + 1; len <= maxSize; len++) {
    const p = len === maxSize ? 1 : len <= avgSize ? hard : easy;
    mean += survive * p * len;
    if (len <= avgSize) pEarly += survive * p;
    survive *= 1 - p;
  }
  return { mean, pEarly };
}

describe('test data', () => {
  it('seeded random data is random and text-like data is not', () => {
    expect(shannonEntropy(DATA)).toBeGreaterThan(7.9999);
    expect(shannonEntropy(seededBytes(1, 4096))).toBeGreaterThan(7.9);
    const text = textLikeBytes(1, 1 << 20);
    expect(shannonEntropy(text)).toBeGreaterThan(3);
    expect(shannonEntropy(text)).toBeLessThan(5.5);
    expect(shannonEntropy(new Uint8Array(1000))).toBe(0);
    expect(shannonEntropy(new Uint8Array(0))).toBe(0);
    expect(shannonEntropy(new Uint8Array([0, 1, 2, 3]))).toBeCloseTo(2, 10);
  });

  it('is deterministic per seed and differs between seeds', () => {
    expect(Buffer.from(seededBytes(5, 1000)).equals(seededBytes(5, 1000))).toBe(true);
    expect(Buffer.from(seededBytes(5, 1000)).equals(seededBytes(6, 1000))).toBe(false);
    // A prefix of a longer stream is the shorter stream (lengths that are not multiples of 4 too).
    expect(Buffer.from(seededBytes(5, 1001).subarray(0, 999)).equals(seededBytes(5, 999))).toBe(true);
    expect(Buffer.from(textLikeBytes(9, 500)).equals(textLikeBytes(9, 500))).toBe(true);
  });
});

describe.each(['fastcdc-v1-16k', 'fastcdc-v1-8k'])('%s on 32 MiB random data', (name) => {
  const chunker = fileChunker(name) as FastCdcChunker;
  const cuts = cutLengths(DATA, chunker);
  const model = fastCdcModel(chunker.minSize, chunker.avgSize, chunker.maxSize);

  it('mean chunk size is within 6% of the model', () => {
    const mean = DATA.length / cuts.length;
    expect(mean).toBeGreaterThan(model.mean * 0.94);
    expect(mean).toBeLessThan(model.mean * 1.06);
  });

  it('normalization: the share of chunks at or below avgSize matches the model', () => {
    const early = cuts.filter((n) => n <= chunker.avgSize).length / cuts.length;
    expect(early).toBeGreaterThan(model.pEarly - 0.04);
    expect(early).toBeLessThan(model.pEarly + 0.04);
  });

  it('sizes below minSize occur only at the end', () => {
    const small = cuts.map((n, i) => [n, i] as const).filter(([n]) => n < chunker.minSize);
    expect(small.every(([, i]) => i === cuts.length - 1)).toBe(true);
    expect(Math.max(...cuts)).toBeLessThanOrEqual(chunker.maxSize);
  });
});

it('fastcdc-v1-16k band pinned: mean between 17.5 KiB and 19.5 KiB', () => {
  const mean = DATA.length / cutLengths(DATA, fileChunker('fastcdc-v1-16k')).length;
  expect(mean).toBeGreaterThan(17.5 * 1024);
  expect(mean).toBeLessThan(19.5 * 1024);
});

describe.each([512, 1024, 4096])('pages-v1-8k/%i on 32 MiB random data', (pageSize) => {
  const chunker = pageChunker('pages-v1-8k', pageSize);
  const cuts = cutLengths(DATA, chunker);

  it('mean chunk size is within 6% of avgBytes (8 KiB)', () => {
    // A cut follows each page with probability pageSize / 8192; the 64 KiB cap barely matters.
    const mean = DATA.length / cuts.length;
    expect(mean).toBeGreaterThan(8192 * 0.94);
    expect(mean).toBeLessThan(8192 * 1.06);
  });

  it('every chunk is whole pages, one page to maxSize', () => {
    expect(cuts.every((n) => n % pageSize === 0 && n >= pageSize && n <= chunker.maxSize)).toBe(true);
  });

  it('single-page chunks occur with the predicted frequency', () => {
    const p = pageSize / 8192;
    const single = cuts.filter((n) => n === pageSize).length / cuts.length;
    expect(single).toBeGreaterThan(p - 0.03);
    expect(single).toBeLessThan(p + 0.03);
  });
});
