/**
 * The FastCDC inner loop (the gear rolling hash looking for a masked zero) as a tiny
 * WebAssembly module, assembled here from the listing below: no toolchain, no build step,
 * no generated file. It runs ~3x faster than the same loop in JavaScript (bench/chunker.ts,
 * docs/DEPENDENCIES.md), and decides exactly the same cuts (test/chunker/gear-scan-wasm.test.ts
 * checks it against the JavaScript loop on random inputs, masks and slicings).
 *
 * Memory layout of an instance (one 64 KiB page):
 * ```
 * 0     .. 1024   the frozen gear table, 256 little-endian i32 (a data segment)
 * 1024  .. 1028   h at exit of a scan that found no cut
 * 2048  ..        bytes to scan (DATA_BASE)
 * ```
 * Export `scan(i, end, mask, h) -> i32`: for each byte at memory position `i < end`,
 * `h = (h << 1) + gear[byte]` (32-bit wrap), `i++`, and when `(h & mask) === 0` returns `i`
 * (the position just past the cut byte). Reaching `end` stores `h` at 1024 and returns 0.
 * The loop is unrolled four times; positions are plain u32 memory addresses.
 */
import { GEAR_TABLE } from './gear-table.js';

/** Memory position where callers place the bytes to scan. */
export const DATA_BASE = 2048;
/** Bytes {@link GearScanner.find} copies per scan call (fits the first page after DATA_BASE). */
const COPY_BLOCK = 8 << 10;
/** Memory position of `h` after a scan that found no cut. */
const H_ADDR = 1024;

// Opcodes used by the listing (WebAssembly core spec 1.0).
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  end: 0x0b,
  void: 0x40,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32GeU: 0x4f,
  i32GtU: 0x4b,
  i32Add: 0x6a,
  i32And: 0x71,
  i32Shl: 0x74,
} as const;
const I32 = 0x7f;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

// Locals of scan: params i, end, mask, h.
const I = 0;
const END = 1;
const MASK = 2;
const H = 3;
const get = (local: number): number[] => [op.localGet, local];
const i32 = (n: number): number[] => [op.i32Const, ...sleb(n)];

/** One byte: h = (h << 1) + gear[mem[i]]; i++; branch to `found` (relative depth) when h & mask is 0. */
function step(found: number): number[] {
  return [
    ...get(H), ...i32(1), op.i32Shl,
    ...get(I), op.i32Load8U, 0, 0, ...i32(2), op.i32Shl, op.i32Load, 2, 0,
    op.i32Add, op.localTee, H,
    ...get(I), ...i32(1), op.i32Add, op.localSet, I,
    ...get(H), ...get(MASK), op.i32And, op.i32Eqz, op.brIf, found,
  ];
}

/** The body of scan: four bytes per turn while four remain, then one at a time. */
function scanBody(): number[] {
  return [
    ...vec([]), // no locals beyond the parameters
    op.block, op.void, // $found
    op.block, op.void, // $tail
    op.loop, op.void, //   four at a time
    ...get(I), ...i32(4), op.i32Add, ...get(END), op.i32GtU, op.brIf, 1,
    ...step(2), ...step(2), ...step(2), ...step(2),
    op.br, 0,
    op.end,
    op.end,
    op.block, op.void, // $none
    op.loop, op.void, //   one at a time
    ...get(I), ...get(END), op.i32GeU, op.brIf, 1,
    ...step(2),
    op.br, 0,
    op.end,
    op.end,
    ...i32(H_ADDR), ...get(H), op.i32Store, 2, 0,
    ...i32(0), op.return,
    op.end,
    ...get(I),
    op.end,
  ];
}

function gearBytes(): number[] {
  const bytes = new Uint8Array(1024);
  const view = new DataView(bytes.buffer);
  GEAR_TABLE.forEach((word, k) => view.setInt32(k * 4, word, true));
  return [...bytes];
}

/** The module's bytes (a few hundred, plus the 1 KiB gear table): send them to workers. */
export const GEAR_SCAN_WASM: Uint8Array = (() => {
  const body = scanBody();
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([[I32]])]])), // type: (i32 x4) -> i32
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(5, vec([[0x00, 1]])), // memory 0: 1 page, growable
    ...section(7, vec([[...name('scan'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
    ...section(11, vec([[0x00, ...i32(0), op.end, ...vec(gearBytes().map((b) => [b]))]])), // gear table at 0
  ]);
})();

/** The memory layout, for a worker that drives the module itself (src/ingest/hash-pool.ts). */
export const GEAR_SCAN_LAYOUT = Object.freeze({ dataBase: DATA_BASE, hAddr: H_ADDR, copyBlock: COPY_BLOCK });

/** Signature of the exported scan; see the file comment. */
export type GearScanFn = (i: number, end: number, mask: number, h: number) => number;

/** The slice of the WebAssembly JavaScript API used here (the project's `lib` has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** One instance of the scan module with its own memory (one per thread). */
export class GearScanner {
  /** The rolling hash after the last {@link find} that found no cut. */
  carry = 0;
  private readonly scan: GearScanFn;
  private readonly bytes: Uint8Array;
  private readonly words: Int32Array;

  /** @throws whatever WebAssembly throws where it is unavailable (e.g. `node --jitless`). */
  constructor() {
    const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (!api) throw new Error('WebAssembly is not available');
    const instance = new api.Instance(new api.Module(GEAR_SCAN_WASM));
    this.scan = instance.exports['scan'] as GearScanFn;
    const memory = instance.exports['memory'] as { buffer: ArrayBuffer };
    this.bytes = new Uint8Array(memory.buffer);
    this.words = new Int32Array(memory.buffer);
  }

  /**
   * Position in `data` just past the first cut in `data[from, to)` under `mask`, starting
   * from rolling hash `h`; -1 when there is none, and then {@link carry} holds the hash.
   * Copies the bytes into memory {@link COPY_BLOCK} at a time, so a cut found early copies little.
   */
  find(data: Uint8Array, from: number, to: number, mask: number, h: number): number {
    for (let at = from; at < to; ) {
      const len = Math.min(COPY_BLOCK, to - at);
      this.bytes.set(data.subarray(at, at + len), DATA_BASE);
      const past = this.scan(DATA_BASE, DATA_BASE + len, mask, h);
      if (past !== 0) return at + (past - DATA_BASE);
      h = this.words[H_ADDR >> 2]!;
      at += len;
    }
    this.carry = h;
    return -1;
  }
}

let shared: GearScanner | null | undefined;

/** This thread's scanner, or null when WebAssembly cannot run here (callers use the JS loop). */
export function sharedGearScanner(): GearScanner | null {
  if (shared === undefined) {
    try {
      shared = new GearScanner();
    } catch {
      shared = null;
    }
  }
  return shared;
}
