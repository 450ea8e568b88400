/**
 * Bad arguments throw InvalidArgumentError early: impossible FastCDC sizes, page sizes SQLite
 * cannot have, unknown chunker names, and a `cut` offered too few bytes before end of input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors/index.js';
import {
  FastCdcChunker,
  PAGES_V1_8K,
  PageChunker,
  fileChunker,
  isSqlitePageSize,
  pageChunker,
  type Chunker,
  type FastCdcParams,
} from '../../src/chunker/index.js';
import { seededBytes } from '../helpers/seeded-random.js';

function expectInvalidArgument(fn: () => unknown, messagePart?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidArgumentError);
  expect((caught as InvalidArgumentError).code).toBe('INVALID_ARGUMENT');
  if (messagePart !== undefined) expect((caught as Error).message).toContain(messagePart);
}

const fastCdc = (minSize: number, avgSize: number, maxSize: number): FastCdcParams => ({ name: 'test', minSize, avgSize, maxSize });

describe('FastCdcChunker sizes', () => {
  it.each([
    ['min below 64', fastCdc(63, 256, 1024)],
    ['min equal to avg', fastCdc(256, 256, 1024)],
    ['min above avg', fastCdc(512, 256, 1024)],
    ['avg not a power of two', fastCdc(64, 1000, 4096)],
    ['avg equal to max', fastCdc(64, 1024, 1024)],
    ['avg above max', fastCdc(64, 2048, 1024)],
    ['max above 16 MiB', fastCdc(4096, 16384, (16 << 20) + 1)],
    ['max infinite', fastCdc(4096, 16384, Infinity)],
    ['negative sizes', fastCdc(-4096, 16384, 65536)],
    ['zero avg', fastCdc(64, 0, 1024)],
    ['NaN min', fastCdc(NaN, 16384, 65536)],
    ['NaN avg', fastCdc(4096, NaN, 65536)],
    ['NaN max', fastCdc(4096, 16384, NaN)],
    ['fractional min', fastCdc(100.5, 16384, 65536)],
    ['fractional max', fastCdc(4096, 16384, 65536.5)],
  ])('rejects %s', (_label, params) => {
    expectInvalidArgument(() => new FastCdcChunker(params), 'bad FastCDC sizes');
  });

  it('reports the sizes in the error data', () => {
    try {
      new FastCdcChunker(fastCdc(63, 256, 1024));
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidArgumentError).data).toMatchObject({ minSize: 63, avgSize: 256, maxSize: 1024 });
    }
  });

  it('accepts the limits: min 64, max 16 MiB', () => {
    expect(new FastCdcChunker(fastCdc(64, 128, 129)).maxSize).toBe(129);
    expect(new FastCdcChunker(fastCdc(1 << 20, 4 << 20, 16 << 20)).maxSize).toBe(16 << 20);
  });
});

describe('page sizes', () => {
  it.each([1000, 256, 131072, 0, -4096, 511, 4095, 4097, 4096.5, NaN, Infinity])('pageChunker rejects %s', (size) => {
    expectInvalidArgument(() => pageChunker('pages-v1-8k', size), 'bad SQLite page size');
    expectInvalidArgument(() => new PageChunker(PAGES_V1_8K, size));
    expect(isSqlitePageSize(size)).toBe(false);
  });

  it.each([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536])('accepts %i', (size) => {
    expect(isSqlitePageSize(size)).toBe(true);
    const chunker = pageChunker('pages-v1-8k', size) as PageChunker;
    expect(chunker.pageSize).toBe(size);
    // maxSize is whole pages, at most 64 KiB, never less than one page.
    expect(chunker.maxSize).toBe(Math.max(size, 65536));
  });
});

describe('chunker names', () => {
  it.each(['', 'nope', 'FASTCDC-V1-16K', 'fastcdc-v1-16k ', 'fastcdc-v2-16k', 'pages-v1-8k'])('fileChunker rejects %j', (name) => {
    expectInvalidArgument(() => fileChunker(name), 'unknown file chunker');
  });

  it.each(['', 'nope', 'Pages-v1-8k', 'fastcdc-v1-16k'])('pageChunker rejects %j', (name) => {
    expectInvalidArgument(() => pageChunker(name, 4096), 'unknown page chunker');
  });

  it('lists the known names in the message', () => {
    expectInvalidArgument(() => fileChunker('nope'), 'fastcdc-v1-16k, fastcdc-v1-8k');
    expectInvalidArgument(() => pageChunker('nope', 4096), 'pages-v1-8k');
  });
});

describe('cut needs maxSize bytes unless final', () => {
  const chunkers: Chunker[] = [
    fileChunker('fastcdc-v1-16k'),
    fileChunker('fastcdc-v1-8k'),
    pageChunker('pages-v1-8k', 512),
    pageChunker('pages-v1-8k', 4096),
    pageChunker('pages-v1-8k', 65536),
  ];
  const data = seededBytes(3, 3 * 65536);

  it.each(chunkers.map((c) => [`${c.name} (max ${c.maxSize})`, c] as const))('%s', (_label, chunker) => {
    const start = 1000;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: chunker.maxSize - 1 }), (offered) => {
        expectInvalidArgument(() => chunker.cut(data, start, start + offered, false), 'needs');
        // The same bytes at the end of input are fine: the whole rest is one chunk or more.
        const n = chunker.cut(data, start, start + offered, true);
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(offered);
      }),
      { numRuns: 100 },
    );
    // Exactly maxSize bytes, or more, is enough.
    expect(chunker.cut(data, start, start + chunker.maxSize, false)).toBeGreaterThan(0);
    expect(chunker.cut(data, start, data.length, false)).toBeLessThanOrEqual(chunker.maxSize);
    // At the end of input with nothing left, the next chunk is empty.
    expect(chunker.cut(data, start, start, true)).toBe(0);
  });
});
