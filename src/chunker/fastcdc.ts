/**
 * FastCDC with normalized chunking (level 2) over the frozen gear table.
 *
 * Rolling hash: `h = (h << 1) + GEAR[byte]` in 32 bits, reset at every cut, first tested
 * `minSize` bytes after the cut. Before `avgSize` a cut needs `avgBits + 2` zero mask
 * bits (harder), after it `avgBits - 2` (easier), which narrows the size distribution.
 * Masks take the top bits of `h`, each of which depends on the last 25-32 bytes.
 * Reference: Xia et al., "The Design of Fast Content-Defined Chunking", 2020.
 *
 * The scan runs in WebAssembly (gear-scan-wasm.ts, ~3x the JavaScript loop), with the
 * JavaScript loop below where WebAssembly is unavailable; both give the same cuts.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { Chunker } from './chunker.js';
import { sharedGearScanner } from './gear-scan-wasm.js';
import { GEAR_TABLE } from './gear-table.js';

/** Sizes of a FastCDC chunker, in bytes. */
export interface FastCdcParams {
  /** Frozen name; a set of sizes has exactly one name forever. */
  readonly name: string;
  /** No cut before this many bytes (except at end of input). */
  readonly minSize: number;
  /** Target average; must be a power of two. */
  readonly avgSize: number;
  /** A cut is forced at this many bytes. */
  readonly maxSize: number;
}

/** Mask with the top `bits` bits of a 32-bit word set, as a signed int. */
function topBitsMask(bits: number): number {
  return bits <= 0 ? 0 : (0xffffffff << (32 - bits)) | 0;
}

/** A FastCDC chunker for general file content. */
export class FastCdcChunker implements Chunker {
  readonly name: string;
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  /** Cut mask before `avgSize`: the top `log2(avgSize) + 2` bits of `h` (signed 32-bit). */
  readonly maskHard: number;
  /** Cut mask from `avgSize` on: the top `log2(avgSize) - 2` bits. */
  readonly maskEasy: number;

  /** @throws InvalidArgumentError when sizes are not integers with `64 <= min < avg < max <= 16 MiB` and avg a power of two. */
  constructor(params: FastCdcParams) {
    const { minSize, avgSize, maxSize } = params;
    const bits = Math.log2(avgSize);
    // Integer checks also reject NaN, which passes every comparison below.
    const integers = Number.isInteger(minSize) && Number.isInteger(maxSize) && Number.isInteger(bits);
    if (!integers || minSize < 64 || minSize >= avgSize || avgSize >= maxSize || maxSize > 16 << 20) {
      throw new InvalidArgumentError(`bad FastCDC sizes min=${minSize} avg=${avgSize} max=${maxSize}`, { ...params });
    }
    this.name = params.name;
    this.minSize = minSize;
    this.avgSize = avgSize;
    this.maxSize = maxSize;
    this.maskHard = topBitsMask(bits + 2);
    this.maskEasy = topBitsMask(bits - 2);
  }

  cut(data: Uint8Array, start: number, end: number, final: boolean): number {
    let n = end - start;
    if (n <= this.minSize) return final || n === 0 ? n : requireMore(this, n);
    if (n > this.maxSize) n = this.maxSize;
    else if (!final && n < this.maxSize) return requireMore(this, n);
    const normalEnd = start + (n < this.avgSize ? n : this.avgSize);
    const hardEnd = start + n;
    const scanner = sharedGearScanner();
    if (scanner === null) return cutInJs(data, start, normalEnd, hardEnd, this.minSize, this.maskHard, this.maskEasy);
    const hard = scanner.find(data, start + this.minSize, normalEnd, this.maskHard, 0);
    if (hard >= 0) return hard - start;
    const easy = scanner.find(data, normalEnd, hardEnd, this.maskEasy, scanner.carry);
    return easy >= 0 ? easy - start : n;
  }
}

/**
 * The same scan in JavaScript: where WebAssembly cannot run (`node --jitless`), and the
 * tests' reference for the WebAssembly loop. Returns the cut length from `start`.
 */
export function cutInJs(data: Uint8Array, start: number, normalEnd: number, hardEnd: number, minSize: number, maskHard: number, maskEasy: number): number {
  const gear = GEAR_TABLE;
  let h = 0;
  let i = start + minSize;
  // Hot loops: kept flat and monomorphic on purpose (see bench/chunker.ts).
  for (; i < normalEnd; i++) {
    h = ((h << 1) + gear[data[i]!]!) | 0;
    if ((h & maskHard) === 0) return i - start + 1;
  }
  for (; i < hardEnd; i++) {
    h = ((h << 1) + gear[data[i]!]!) | 0;
    if ((h & maskEasy) === 0) return i - start + 1;
  }
  return hardEnd - start;
}

function requireMore(chunker: Chunker, offered: number): never {
  throw new InvalidArgumentError(`${chunker.name} needs ${chunker.maxSize} bytes or the end of input, got ${offered}`);
}
