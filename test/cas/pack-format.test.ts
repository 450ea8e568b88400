/**
 * The pack format, version 1: round trips through footer and table, names, recovery by
 * scan, refusal of unknown versions and damaged framing, and a committed golden pack that
 * buildPack must reproduce byte for byte (format stability).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../src/cas/backend/memory-backend.js';
import { decodePayload } from '../../src/cas/compression.js';
import { buildPack, type PackItem } from '../../src/cas/pack-builder.js';
import {
  Codec,
  ENTRY_HEADER_BYTES,
  FOOTER_BYTES,
  PACK_HEADER_BYTES,
  TABLE_RECORD_BYTES,
  checkPackHeader,
  decodeFooter,
  decodeTable,
  packHashFromKey,
  packKey,
  payloadOffset,
  scanPack,
  type PackEntry,
} from '../../src/cas/pack-format.js';
import { checkEntry, readPack } from '../../src/cas/pack-reader.js';
import { CorruptPackError, TruncatedPackError, UnsupportedVersionError } from '../../src/errors/index.js';
import { hashContent } from '../../src/hash/index.js';
import { compressibleBytes, pseudoRandomBytes } from '../helpers/deterministic-bytes.js';

function rawItem(data: Uint8Array, kind = 0): PackItem {
  return { id: hashContent(data), kind, rawLength: data.length, codec: Codec.Raw, bytes: data };
}

/** Fixed inputs of the golden pack. Never change them: the golden file is built from them. */
const GOLDEN_ZSTD_RAW = Buffer.from('memsnap golden pack: the same chunk bytes, the same pack bytes, forever.\n'.repeat(4));
/** A zstd frame of GOLDEN_ZSTD_RAW, frozen here so the golden pack does not depend on the zstd version. */
const GOLDEN_ZSTD_FRAME = Buffer.from(
  '28b52ffd6024001d020034036d656d736e617020676f6c64656e207061636b3a207468652073616d65206368756e6b2062797465732c666f72657665722e0a04005826d0c349805400ca6d9601',
  'hex',
);
function goldenItems(): PackItem[] {
  return [
    rawItem(Buffer.from('hello, memsnap\n')),
    { id: hashContent(GOLDEN_ZSTD_RAW), kind: 0, rawLength: GOLDEN_ZSTD_RAW.length, codec: Codec.Zstd, bytes: GOLDEN_ZSTD_FRAME },
    rawItem(new Uint8Array(0), 7),
    rawItem(Uint8Array.from({ length: 64 }, (_, i) => i), 255),
  ];
}
const GOLDEN_FILE = fileURLToPath(new URL('./golden/pack-v1.pack', import.meta.url));
const GOLDEN_HASH = '8cfdd6757aa0a5f23e4697ccae2a907ab2def46fa8420a0ece08aa9bcd9077eb';

function sampleItems(): PackItem[] {
  return [
    rawItem(pseudoRandomBytes('a', 1000)),
    rawItem(compressibleBytes('b', 3000), 3),
    rawItem(pseudoRandomBytes('c', 1)),
    rawItem(pseudoRandomBytes('d', 20_000), 1),
  ];
}

function footerAndTable(pack: string, bytes: Buffer): PackEntry[] {
  const footer = decodeFooter(pack, bytes.subarray(bytes.length - FOOTER_BYTES), bytes.length);
  return decodeTable(pack, footer, bytes.subarray(footer.tableOffset, bytes.length - FOOTER_BYTES));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('pack format v1', () => {
  it('round trips buildPack through decodeFooter and decodeTable', () => {
    const items = sampleItems();
    const pack = buildPack(items);
    expect(footerAndTable(pack.hash, pack.bytes)).toEqual(pack.entries);
    let offset = PACK_HEADER_BYTES;
    for (const [i, item] of items.entries()) {
      const e = pack.entries[i]!;
      expect(e).toEqual({ id: item.id, offset, rawLength: item.rawLength, storedLength: item.bytes.length, kind: item.kind, codec: item.codec });
      expect(pack.bytes.subarray(payloadOffset(e), payloadOffset(e) + e.storedLength).equals(Buffer.from(item.bytes))).toBe(true);
      expect(checkEntry(pack.bytes, e)).toBeUndefined();
      offset += ENTRY_HEADER_BYTES + item.bytes.length;
    }
    expect(pack.bytes.length).toBe(offset + items.length * TABLE_RECORD_BYTES + FOOTER_BYTES);
  });

  it('round trips an empty pack', () => {
    const pack = buildPack([]);
    expect(pack.bytes.length).toBe(PACK_HEADER_BYTES + FOOTER_BYTES);
    expect(footerAndTable(pack.hash, pack.bytes)).toEqual([]);
    expect(scanPack(pack.hash, pack.bytes)).toEqual({ entries: [], endOffset: PACK_HEADER_BYTES });
  });

  it('names a pack by the BLAKE3 of its bytes (checked against @noble/hashes)', () => {
    const pack = buildPack(sampleItems());
    expect(pack.hash).toBe(Buffer.from(nobleBlake3(pack.bytes)).toString('hex'));
    expect(packKey(pack.hash)).toBe(`packs/${pack.hash.slice(0, 2)}/${pack.hash}.pack`);
    expect(packHashFromKey(packKey(pack.hash))).toBe(pack.hash);
    expect(packHashFromKey('packs/00/not-a-hash.pack')).toBeUndefined();
    expect(packHashFromKey(`tmp/${pack.hash}.pack`)).toBeUndefined();
  });

  it('is canonical: the same items give the same bytes, other items another name', () => {
    expect(buildPack(sampleItems()).bytes.equals(buildPack(sampleItems()).bytes)).toBe(true);
    expect(buildPack(sampleItems().reverse()).hash).not.toBe(buildPack(sampleItems()).hash);
  });

  it('recovers entries by scanning a pack whose footer (and table) are cut off', () => {
    const pack = buildPack(sampleItems());
    const tableOffset = pack.bytes.length - FOOTER_BYTES - pack.entries.length * TABLE_RECORD_BYTES;
    expect(scanPack(pack.hash, pack.bytes.subarray(0, tableOffset))).toEqual({ entries: pack.entries, endOffset: tableOffset });
    expect(scanPack(pack.hash, pack.bytes.subarray(0, pack.bytes.length - 1)).entries).toEqual(pack.entries);
    expect(scanPack(pack.hash, pack.bytes.subarray(0, pack.bytes.length - FOOTER_BYTES)).entries).toEqual(pack.entries);
  });

  it('recovers exactly the whole entries before a cut inside an entry', () => {
    const pack = buildPack(sampleItems());
    const third = pack.entries[2]!;
    for (const cut of [third.offset + 1, payloadOffset(third), third.offset + ENTRY_HEADER_BYTES + third.storedLength - 1]) {
      const scan = scanPack(pack.hash, pack.bytes.subarray(0, cut));
      expect(scan.entries, `cut at ${cut}`).toEqual(pack.entries.slice(0, 2));
      expect(scan.endOffset).toBe(third.offset);
    }
  });

  it('refuses unknown versions in the header and in the footer with UnsupportedVersionError', () => {
    const pack = buildPack(sampleItems());
    const header = Buffer.from(pack.bytes);
    header[4] = 2;
    for (const err of [thrown(() => checkPackHeader('p', header)), thrown(() => scanPack('p', header))]) {
      expect(err).toBeInstanceOf(UnsupportedVersionError);
      expect((err as UnsupportedVersionError).data).toMatchObject({ found: 2, supported: 1 });
      expect((err as Error).message).toMatch(/upgrade memsnap/);
    }
    const footer = Buffer.from(pack.bytes);
    footer[footer.length - FOOTER_BYTES + 40] = 9;
    const err = thrown(() => decodeFooter('p', footer.subarray(footer.length - FOOTER_BYTES), footer.length));
    expect(err).toBeInstanceOf(UnsupportedVersionError);
    expect((err as UnsupportedVersionError).code).toBe('UNSUPPORTED_VERSION');
  });

  it('refuses a bad magic with CorruptPackError', () => {
    const pack = buildPack(sampleItems());
    const bad = Buffer.from(pack.bytes);
    bad.write('ZIP!', 0, 'latin1');
    for (const err of [thrown(() => checkPackHeader('p', bad)), thrown(() => scanPack('p', bad)), thrown(() => checkPackHeader('p', bad.subarray(0, 3)))]) {
      expect(err).toBeInstanceOf(CorruptPackError);
      expect((err as CorruptPackError).data).toMatchObject({ pack: 'p', offset: 0 });
    }
  });

  it('reports a truncated pack with TruncatedPackError', () => {
    const pack = buildPack(sampleItems());
    for (const size of [pack.bytes.length - 1, pack.bytes.length - FOOTER_BYTES, 200, PACK_HEADER_BYTES + FOOTER_BYTES - 1, 10]) {
      const cut = pack.bytes.subarray(0, size);
      const err = thrown(() => decodeFooter('p', cut.subarray(Math.max(0, cut.length - FOOTER_BYTES)), cut.length));
      expect(err, `cut to ${size}`).toBeInstanceOf(TruncatedPackError);
      expect((err as TruncatedPackError).data).toMatchObject({ pack: 'p', size });
    }
  });

  it('refuses a damaged table or a footer that disagrees with the size with CorruptPackError', () => {
    const pack = buildPack(sampleItems());
    const table = Buffer.from(pack.bytes);
    table[table.length - FOOTER_BYTES - 5]! ^= 1;
    expect(() => footerAndTable('p', table)).toThrow(CorruptPackError);
    const footer = Buffer.from(pack.bytes);
    footer.writeUInt32LE(3, footer.length - FOOTER_BYTES + 36);
    expect(() => footerAndTable('p', footer)).toThrow(CorruptPackError);
  });

  it('readPack falls back to a scan for a truncated pack and reports why', async () => {
    const pack = buildPack(sampleItems());
    const backend = new MemoryBackend();
    const cut = pack.entries[3]!.offset + 100;
    await backend.put(packKey(pack.hash), pack.bytes.subarray(0, cut));
    const { readout } = await readPack(backend, pack.hash);
    expect(readout.structureError).toBeInstanceOf(TruncatedPackError);
    expect(readout.entries).toEqual(pack.entries.slice(0, 3));
    expect(readout.nameMatches).toBe(false);
    expect(readout.size).toBe(cut);
  });
});

describe('golden pack v1', () => {
  it('buildPack reproduces the committed golden pack byte for byte', () => {
    const golden = readFileSync(GOLDEN_FILE);
    const built = buildPack(goldenItems());
    expect(built.bytes.toString('hex')).toBe(golden.toString('hex'));
    expect(built.hash).toBe(GOLDEN_HASH);
  });

  it('buildPack into a reused buffer full of old bytes gives the same pack (every byte written)', () => {
    const golden = readFileSync(GOLDEN_FILE);
    const dirty = new Uint8Array(golden.length + 100).fill(0xa5);
    const built = buildPack(goldenItems(), dirty);
    expect(built.bytes.buffer).toBe(dirty.buffer);
    expect(built.bytes.toString('hex')).toBe(golden.toString('hex'));
    expect(built.hash).toBe(GOLDEN_HASH);
    // Too small a buffer is not used.
    expect(buildPack(goldenItems(), new Uint8Array(10)).bytes.toString('hex')).toBe(golden.toString('hex'));
  });

  it('the golden pack decodes to its frozen entries, each verifying against its id', () => {
    const golden = readFileSync(GOLDEN_FILE);
    expect(Buffer.from(nobleBlake3(golden)).toString('hex')).toBe(GOLDEN_HASH);
    expect(golden.subarray(0, 5)).toEqual(Buffer.from([0x4d, 0x53, 0x50, 0x4b, 1]));
    expect(golden.subarray(golden.length - 4).toString('latin1')).toBe('MSPE');
    const entries = footerAndTable(GOLDEN_HASH, golden);
    expect(entries.map((e) => [e.offset, e.rawLength, e.storedLength, e.kind, e.codec])).toEqual([
      [16, 15, 15, 0, Codec.Raw],
      [79, 292, GOLDEN_ZSTD_FRAME.length, 0, Codec.Zstd],
      [127 + GOLDEN_ZSTD_FRAME.length, 0, 0, 7, Codec.Raw],
      [175 + GOLDEN_ZSTD_FRAME.length, 64, 64, 255, Codec.Raw],
    ]);
    for (const e of entries) expect(checkEntry(golden, e), e.id).toBeUndefined();
    expect(Buffer.from(decodePayload(Codec.Zstd, GOLDEN_ZSTD_FRAME, GOLDEN_ZSTD_RAW.length)).equals(GOLDEN_ZSTD_RAW)).toBe(true);
    expect(scanPack(GOLDEN_HASH, golden).entries).toEqual(entries);
  });
});
