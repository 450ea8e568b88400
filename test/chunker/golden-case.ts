/**
 * The shape of a golden chunking case and how its input and chunker are made, shared by the
 * generator (generate-golden.ts) and the test (golden.test.ts) so both read cases the same way.
 */
import { fileChunker, pageChunker, type Chunker } from '../../src/chunker/index.js';
import { seededBytes, textLikeBytes } from '../helpers/seeded-random.js';

/** One golden case: which chunker, which seeded input, and the cuts it must give. */
export interface GoldenCase {
  chunker: string;
  /** Page size for page chunkers; absent for file chunkers. */
  pageSize?: number;
  /** `random` = seededBytes(seed, length); `text` = textLikeBytes(seed, length). */
  input: 'random' | 'text';
  seed: number;
  length: number;
  /** SHA-256 of the input, so a changed generator is told apart from a changed chunker. */
  inputSha256: string;
  cuts: number[];
}

/** The committed file of golden cases. */
export interface GoldenFile {
  _comment: string;
  cases: GoldenCase[];
}

/** The seeded input of a case. */
export function goldenInput(c: Pick<GoldenCase, 'input' | 'seed' | 'length'>): Uint8Array {
  return c.input === 'random' ? seededBytes(c.seed, c.length) : textLikeBytes(c.seed, c.length);
}

/** The frozen chunker a case names. */
export function goldenChunker(c: Pick<GoldenCase, 'chunker' | 'pageSize'>): Chunker {
  return c.pageSize === undefined ? fileChunker(c.chunker) : pageChunker(c.chunker, c.pageSize);
}
