/**
 * The frozen, named chunker parameter sets. A store's config records the names it uses.
 *
 * These names decide bytes: never change the numbers behind a name. To chunk differently,
 * add a new name and keep the old one readable. Sizes were chosen by measurement on
 * agent-memory text (see `bench/chunk-sizes.ts` and BENCHMARKS.md).
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { Chunker } from './chunker.js';
import { FastCdcChunker, type FastCdcParams } from './fastcdc.js';
import { PageChunker, type PageChunkerParams } from './page-chunker.js';

/** Larger chunks for big, rarely edited files: min 4 KiB, average 16 KiB, max 64 KiB. */
export const FASTCDC_V1_16K: FastCdcParams = Object.freeze({
  name: 'fastcdc-v1-16k',
  minSize: 4 * 1024,
  avgSize: 16 * 1024,
  maxSize: 64 * 1024,
});

/** The default for agent memory (notes, logs, JSONL): min 2 KiB, average 8 KiB, max 32 KiB. */
export const FASTCDC_V1_8K: FastCdcParams = Object.freeze({
  name: 'fastcdc-v1-8k',
  minSize: 2 * 1024,
  avgSize: 8 * 1024,
  maxSize: 32 * 1024,
});

/** SQLite images: cuts between pages, average 8 KiB (two 4 KiB pages), max 64 KiB. */
export const PAGES_V1_8K: PageChunkerParams = Object.freeze({
  name: 'pages-v1-8k',
  avgBytes: 8 * 1024,
  maxBytes: 64 * 1024,
});

/**
 * SQLite images, one page per chunk for 4 KiB pages (average 4 KiB, max 64 KiB): a changed
 * page costs one page. Smaller pages are grouped (1 KiB pages: four on average).
 */
export const PAGES_V1_4K: PageChunkerParams = Object.freeze({
  name: 'pages-v1-4k',
  avgBytes: 4 * 1024,
  maxBytes: 64 * 1024,
});

const FILE_CHUNKERS: ReadonlyMap<string, FastCdcParams> = new Map([FASTCDC_V1_16K, FASTCDC_V1_8K].map((p) => [p.name, p]));
const PAGE_CHUNKERS: ReadonlyMap<string, PageChunkerParams> = new Map([PAGES_V1_8K, PAGES_V1_4K].map((p) => [p.name, p]));

/**
 * Default file chunker of a new store: `fastcdc-v1-8k`. On agent-memory text (notes edited
 * in place, append-only logs, JSONL memories) it grew the store ~28% less per turn than
 * 16k (90 vs 125 KB/turn, bench/chunk-sizes.ts, BENCHMARKS.md), for ~5% more on the first
 * snapshot and more chunk references. Existing stores keep the name their config records.
 */
export const DEFAULT_FILE_CHUNKER = FASTCDC_V1_8K.name;
/**
 * Default page-aligned chunker of a new store: `pages-v1-4k`. On the agent workload it grew
 * the store by 193 instead of 466 kB of database chunks per turn (a changed 4 KiB page no
 * longer drags a neighbour along; vector pages barely compress), for the same total size
 * after nine snapshots (scratch measurement, BENCHMARKS.md).
 */
export const DEFAULT_PAGE_CHUNKER = PAGES_V1_4K.name;

/** The file chunker with this frozen name. @throws InvalidArgumentError for an unknown name. */
export function fileChunker(name: string): Chunker {
  const params = FILE_CHUNKERS.get(name);
  if (!params) throw new InvalidArgumentError(`unknown file chunker ${JSON.stringify(name)} (known: ${[...FILE_CHUNKERS.keys()].join(', ')})`);
  return new FastCdcChunker(params);
}

/** The page-aligned chunker with this frozen name for one page size. @throws InvalidArgumentError for an unknown name or bad page size. */
export function pageChunker(name: string, pageSize: number): PageChunker {
  const params = PAGE_CHUNKERS.get(name);
  if (!params) throw new InvalidArgumentError(`unknown page chunker ${JSON.stringify(name)} (known: ${[...PAGE_CHUNKERS.keys()].join(', ')})`);
  return new PageChunker(params, pageSize);
}

/** Frozen names of the file chunkers this build can read. */
export function knownFileChunkerNames(): string[] {
  return [...FILE_CHUNKERS.keys()];
}

/** Frozen names of the page-aligned chunkers this build can read. */
export function knownPageChunkerNames(): string[] {
  return [...PAGE_CHUNKERS.keys()];
}

/** All frozen chunker names this build can read. */
export function knownChunkerNames(): string[] {
  return [...knownFileChunkerNames(), ...knownPageChunkerNames()];
}
