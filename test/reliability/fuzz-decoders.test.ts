/**
 * Property-based fuzzing of everything that decodes stored bytes: list nodes, trees,
 * snapshot roots, pack footers and tables, whole packs and store configs. Whatever the
 * bytes, a decoder either returns or throws a MemsnapError (a clear, coded refusal), never a
 * TypeError or RangeError from deep inside; and a decoded tree never names an unsafe path.
 *
 * MEMSNAP_FUZZ_RUNS (default 300) sets the runs per property.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFooter, decodeTable, parseStoreConfig, scanPack, FOOTER_BYTES } from '../../src/cas/index.js';
import { MemsnapError } from '../../src/errors/index.js';
import { hashContent } from '../../src/hash/index.js';
import { ObjectReader, decodeListNode, isSafeName, readSnapshot, readTree } from '../../src/snapshot/index.js';

const RUNS = Number(process.env['MEMSNAP_FUZZ_RUNS'] ?? 300);
const ID = hashContent(Buffer.from('fuzz'));

/** Runs `fn`; passes when it returns or throws a MemsnapError, fails on any other throw. */
async function refusesCleanly(fn: () => unknown): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    if (err instanceof MemsnapError) return true;
    throw new Error(`decoder threw a non-memsnap error: ${String(err)}`, { cause: err });
  }
}

const readerOf = (bytes: Uint8Array) => new ObjectReader({ get: async () => bytes });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Tree entries that are nearly valid, with every field free to be wrong. */
const entryLike = fc.record(
  {
    name: fc.oneof(fc.string(), fc.constantFrom('..', '.', 'a/b', '/etc', 'x\0y', 'ok'), fc.anything()),
    kind: fc.oneof(fc.constantFrom('file', 'dir', 'symlink', 'sqlite', 'fifo'), fc.anything()),
    mode: fc.oneof(fc.integer(), fc.double(), fc.anything()),
    mtimeNs: fc.oneof(fc.bigInt().map(String), fc.string(), fc.anything()),
    content: fc.anything(),
    tree: fc.oneof(fc.constant(ID), fc.string(), fc.anything()),
    target: fc.anything(),
    pageSize: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('decoders refuse garbage with memsnap errors only', () => {
  it('list nodes', async () => {
    const header = fc.tuple(fc.constantFrom(0, 1, 2, 255), fc.constantFrom(0, 1, 5), fc.integer({ min: 0, max: 300 }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 400 }), header.chain(([v, level, count]) => fc.uint8Array({ maxLength: 200 }).map((tail) => {
        const b = Buffer.alloc(12 + tail.length);
        b.write('MSLN', 0);
        b[4] = v;
        b[5] = level;
        b.writeUInt32LE(count, 8);
        Buffer.from(tail).copy(b, 12);
        return new Uint8Array(b);
      }))), (bytes) => refusesCleanly(() => decodeListNode(ID, bytes))),
      { numRuns: RUNS },
    );
  });

  it('trees, and a tree that decodes names only safe entries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(entryLike, { maxLength: 6 }), fc.anything()), fc.constantFrom(1, 2, 0, '1'), async (entries, v) => {
        let decoded: Awaited<ReturnType<typeof readTree>> | undefined;
        const ok = await refusesCleanly(async () => (decoded = await readTree(readerOf(json({ t: 'tree', v, entries })), ID)));
        for (const e of decoded ?? []) expect(isSafeName(e.name), JSON.stringify(e.name)).toBe(true);
        return ok;
      }),
      { numRuns: RUNS },
    );
  });

  it('snapshot roots', async () => {
    const sources = fc.oneof(
      fc.anything(),
      fc.record({ memdir: fc.oneof(fc.record({ tree: fc.oneof(fc.constant(ID), fc.anything()) }), fc.anything()), databases: fc.anything(), state: fc.anything(), fields: fc.anything() }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ agent: fc.anything(), parent: fc.oneof(fc.constant(null), fc.constant(ID), fc.anything()), timeMs: fc.anything(), kind: fc.anything(), tags: fc.anything(), sources, totals: fc.anything() }, { requiredKeys: [] }), async (body) =>
        refusesCleanly(() => readSnapshot(readerOf(json({ ...body, t: 'snapshot', v: 1 })), ID)),
      ),
      { numRuns: RUNS },
    );
  });

  it('raw bytes as any object type', async () => {
    const odd = Buffer.from('{"t":"tree","v":{"toString":""}}');
    expect(await refusesCleanly(() => readTree(readerOf(odd), ID))).toBe(true);
    expect(await refusesCleanly(() => readSnapshot(readerOf(Buffer.from('{"t":"snapshot","v":{"toString":""}}')), ID))).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => (await refusesCleanly(() => readTree(readerOf(bytes), ID))) && refusesCleanly(() => readSnapshot(readerOf(bytes), ID))),
      { numRuns: RUNS },
    );
  });

  it('pack footers, tables and whole packs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), fc.integer({ min: 0, max: 1 << 20 }), async (bytes, size) => {
        const footer = bytes.subarray(0, FOOTER_BYTES);
        return (
          (await refusesCleanly(() => decodeFooter('p', footer, size))) &&
          (await refusesCleanly(() => decodeTable('p', decodeFooter('p', footer, Math.max(size, bytes.length)), bytes))) &&
          refusesCleanly(() => scanPack('p', bytes))
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('store configs', async () => {
    const configLike = fc.record(
      {
        format: fc.oneof(fc.constant('memsnap-store'), fc.anything()),
        version: fc.oneof(fc.constantFrom(1, 2, 0, -1), fc.anything()),
        storeId: fc.anything(),
        hash: fc.oneof(fc.constant('blake3-256'), fc.anything()),
        chunkers: fc.anything(),
        compression: fc.anything(),
        packTargetBytes: fc.anything(),
      },
      { requiredKeys: [] },
    );
    // Found by this property (seed -1711259285): String() of an object whose toString is not a function throws.
    expect(await refusesCleanly(() => parseStoreConfig('{"format":"memsnap-store","version":{"toString":""}}'))).toBe(true);
    expect(await refusesCleanly(() => parseStoreConfig('{"format":"memsnap-store","version":1,"hash":{"toString":1}}'))).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), configLike.map((c) => JSON.stringify(c))), (text) => refusesCleanly(() => parseStoreConfig(text))),
      { numRuns: RUNS },
    );
  });
});
