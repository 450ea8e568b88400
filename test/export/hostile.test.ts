/**
 * Hostile and damaged bundles, each refused with a clear error before any ref moves, and
 * nothing written outside the store: path names, links, duplicates, truncation, flipped
 * bytes, missing objects, kind confusion, bombs, unknown versions, garbage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { CorruptBundleError, UnsupportedVersionError, type MemsnapError } from '../../src/errors/index.js';
import { importBundle, verifyBundle, MANIFEST_ENTRY, MAX_ENTRY_BYTES } from '../../src/export/index.js';
import { hashContent, type ContentId } from '../../src/hash/index.js';
import type { Repository } from '../../src/snapshot/index.js';
import { createAgentFixture } from '../helpers/agent-fixture.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { bundleEntries, capture, craftBundle, exportToBuffer, newRepo, streamOf, type RawEntry } from './bundle-helpers.js';

let root: string;
let good: Buffer;
let entries: { name: string; bytes: Buffer }[];
let snapshot: ContentId;
let receiver: Repository;

beforeAll(async () => {
  root = makeTempDir('memsnap-hostile-');
  const fx = createAgentFixture(root, { seed: 21, git: false });
  const src = await newRepo(root, 'src');
  snapshot = (await capture(src, fx.dir)) as ContentId;
  good = (await exportToBuffer(src, { snapshots: [snapshot] })).bytes;
  entries = await bundleEntries(good);
  await src.close();
  receiver = await newRepo(root, 'receiver');
});

afterAll(async () => {
  await receiver.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Verify and import both refuse `bundle` with `type`, naming `match`; the receiver stays empty. */
async function refused(bundle: Buffer, match: RegExp, type: abstract new (...a: never[]) => MemsnapError = CorruptBundleError): Promise<void> {
  const v = await verifyBundle(streamOf(bundle)).catch((e: unknown) => e);
  expect(v, String(v)).toBeInstanceOf(type);
  expect((v as Error).message).toMatch(match);
  const i = await importBundle(receiver, streamOf(bundle)).catch((e: unknown) => e);
  expect(i, String(i)).toBeInstanceOf(type);
  expect((i as Error).message).toMatch(match);
  expect(receiver.catalog.agents()).toEqual([]);
  expect(receiver.catalog.list()).toEqual([]);
  expect(fs.readdirSync(root).sort()).toEqual(['agent', 'outside', 'receiver', 'src', 'state']);
}

const chunkIndex = (): number => entries.findIndex((e) => e.name.startsWith('chunk/'));
const rebuilt = (list: readonly RawEntry[]): Promise<Buffer> => craftBundle(list);

describe('hostile bundles', () => {
  it('the unmodified bundle verifies and its re-crafted twin too (the crafting is faithful)', async () => {
    expect((await verifyBundle(streamOf(good))).snapshots[0]!.id).toBe(snapshot);
    expect((await verifyBundle(streamOf(await rebuilt(entries)))).entries).toBe(entries.length - 1);
  });

  it('refuses names with .. or absolute paths, and other names', async () => {
    for (const name of ['../../evil', '/etc/passwd', 'chunk/../../x', `chunk/${'a'.repeat(64)}/x`, './memsnap-bundle.json', `CHUNK/${'a'.repeat(64)}`]) {
      const list = [...entries.slice(0, 2), { name, bytes: Buffer.from('x') }, ...entries.slice(2)];
      await refused(await rebuilt(list), /not a bundle entry name/);
    }
  });

  it('refuses links, directories and a manifest that is not first', async () => {
    await refused(await rebuilt([entries[0]!, { name: 'chunk/x', type: 'symlink', linkname: '/etc/passwd' }, ...entries.slice(1)]), /type symlink/);
    await refused(await rebuilt([entries[0]!, { name: 'tree/', type: 'directory' }, ...entries.slice(1)]), /type directory/);
    await refused(await rebuilt([entries[1]!, entries[0]!, ...entries.slice(2)]), /first entry must be memsnap-bundle.json/);
  });

  it('refuses duplicate entries and a second manifest', async () => {
    const i = chunkIndex();
    await refused(await rebuilt([...entries.slice(0, i + 1), entries[i]!, ...entries.slice(i + 1)]), /duplicate entry/);
    await refused(await rebuilt([...entries, entries[0]!]), /appears twice/);
  });

  it('refuses a flipped byte in an object (naming it and the hash it had) and in the compressed stream', async () => {
    const i = chunkIndex();
    const bytes = Buffer.from(entries[i]!.bytes);
    bytes[bytes.length >> 1]! ^= 0x40;
    await refused(await rebuilt(entries.map((e, j) => (j === i ? { name: e.name, bytes } : e))), new RegExp(`${entries[i]!.name}: hash mismatch: content hashes to ${hashContent(bytes)}`));
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1]! ^= 0x01;
    await refused(flipped, /bundle refused/);
  });

  it('refuses truncated streams, wherever they are cut', async () => {
    for (const keep of [10, 100, good.length >> 2, good.length >> 1, good.length - 30, good.length - 1]) {
      await refused(good.subarray(0, keep), /truncated|ended early|missing|damaged/);
    }
    // A tar cut cleanly after a whole entry, then compressed properly: the checker notices.
    await refused(await rebuilt(entries.slice(0, entries.length >> 1)), /missing/);
  });

  it('refuses a bundle missing one chunk, naming the chunk', async () => {
    const i = chunkIndex();
    await refused(await rebuilt(entries.filter((_, j) => j !== i)), new RegExp(`${entries[i]!.name}: missing`));
  });

  it('refuses objects nobody referenced and objects sent as another kind', async () => {
    const stray = Buffer.from('nobody points at me');
    await refused(await rebuilt([...entries, { name: `chunk/${hashContent(stray)}`, bytes: stray }]), /unexpected entry/);
    const i = chunkIndex();
    const e = entries[i]!;
    await refused(await rebuilt(entries.map((x, j) => (j === i ? { name: e.name.replace('chunk/', 'list/'), bytes: e.bytes } : x))), /referenced as a chunk, sent as a list/);
  });

  it('refuses decompression bombs: more bytes than the manifest explains, oversized entries', async () => {
    const manifest = JSON.parse(entries[0]!.bytes.toString()) as Record<string, unknown>;
    const zeros = Buffer.alloc(12 << 20);
    const lying = { ...manifest, entries: 2, bytes: 100 };
    await refused(await rebuilt([{ name: MANIFEST_ENTRY, bytes: Buffer.from(JSON.stringify(lying)) }, entries[1]!, { name: `chunk/${hashContent(zeros)}`, bytes: zeros }]), /decompression bomb/);
    // Zeros all the way: no manifest ever arrives, the cap before it holds.
    await refused(compress(Buffer.alloc(40 << 20)), /decompression bomb|holds no entries|not a memsnap bundle|first entry/);
    // An entry whose header announces more than any chunk may be is refused before it is read.
    const huge = { ...manifest, bytes: 2 ** 40 };
    const big = Buffer.alloc(MAX_ENTRY_BYTES + 1);
    await refused(await rebuilt([{ name: MANIFEST_ENTRY, bytes: Buffer.from(JSON.stringify(huge)) }, entries[1]!, { name: `chunk/${hashContent(big)}`, bytes: big }]), /exceeds the 16777216-byte limit/);
  });

  it('refuses unknown format versions and foreign manifests', async () => {
    const manifest = JSON.parse(entries[0]!.bytes.toString()) as Record<string, unknown>;
    await refused(await rebuilt([{ name: MANIFEST_ENTRY, bytes: Buffer.from(JSON.stringify({ ...manifest, version: 2 })) }, ...entries.slice(1)]), /bundle has format 2/, UnsupportedVersionError);
    await refused(await rebuilt([{ name: MANIFEST_ENTRY, bytes: Buffer.from(JSON.stringify({ ...manifest, format: 'other' })) }, ...entries.slice(1)]), /format is "other"/);
    await refused(await rebuilt([{ name: MANIFEST_ENTRY, bytes: Buffer.from('{not json') }, ...entries.slice(1)]), /not JSON/);
  });

  it('refuses snapshot roots whose agent id, tags or field keys could not be captured (they become catalog keys)', async () => {
    const manifest = JSON.parse(entries[0]!.bytes.toString()) as { snapshots: string[]; bytes: number };
    const root = JSON.parse(entries[1]!.bytes.toString()) as Record<string, unknown>;
    const sources = root['sources'] as Record<string, unknown>;
    const badField = { sources: { ...sources, fields: { 'bad\u0001key': 1 } } };
    for (const [change, why] of [[{ agent: '../../evil' }, /bad agent id/], [{ tags: ['-rf'] }, /bad tag/], [badField, /bad field key/]] as const) {
      const forged = Buffer.from(JSON.stringify({ ...root, ...change }));
      const id = hashContent(forged);
      const m = { ...manifest, snapshots: [id], bytes: manifest.bytes - entries[1]!.bytes.length + forged.length };
      await refused(await rebuilt([{ name: MANIFEST_ENTRY, bytes: Buffer.from(JSON.stringify(m)) }, { name: `snapshot/${id}`, bytes: forged }, ...entries.slice(2)]), why);
    }
  });

  /** The bundle with its memdir root tree rewritten by `edit`, and the snapshot and manifest re-hashed to match. */
  function withRootTree(edit: (json: string) => string): RawEntry[] {
    const manifest = JSON.parse(entries[0]!.bytes.toString()) as { snapshots: string[]; bytes: number };
    const root = JSON.parse(entries[1]!.bytes.toString()) as { sources: { memdir: { tree: string } } };
    const treeAt = entries.findIndex((e) => e.name === `tree/${root.sources.memdir.tree}`);
    const tree = Buffer.from(edit(entries[treeAt]!.bytes.toString()));
    expect(tree.equals(entries[treeAt]!.bytes)).toBe(false);
    const snap = Buffer.from(entries[1]!.bytes.toString().replace(root.sources.memdir.tree, hashContent(tree)));
    const m = { ...manifest, snapshots: [hashContent(snap)], bytes: manifest.bytes + snap.length - entries[1]!.bytes.length + tree.length - entries[treeAt]!.bytes.length };
    return entries.map((e, i) => (i === 0 ? { name: e.name, bytes: Buffer.from(JSON.stringify(m)) } : i === 1 ? { name: `snapshot/${hashContent(snap)}`, bytes: snap } : i === treeAt ? { name: `tree/${hashContent(tree)}`, bytes: tree } : e));
  }

  it('refuses objects of an unknown version inside a well-formed bundle', async () => {
    await refused(await rebuilt(withRootTree((t) => t.replace(/"v":1}$/, '"v":2}'))), /tree object .* has format 2/, UnsupportedVersionError);
  });

  it('refuses a chunk whose length differs from the length its tree names', async () => {
    const forged = withRootTree((t) => t.replace(/\["([0-9a-f]{64})",(\d+)\]/, (_, id: string, n: string) => `["${id}",${Number(n) + 1}]`));
    await refused(await rebuilt(forged), /referenced as \d+ bytes, holds \d+/);
    const huge = withRootTree((t) => t.replace(/\["([0-9a-f]{64})",(\d+)\]/, (_, id: string) => `["${id}",${2 ** 40}]`));
    await refused(await rebuilt(huge), /of 1099511627776 bytes \(chunks are at most 16777216\)/);
  });

  it('refuses garbage, empty input, a plain tar and an armored age file', async () => {
    await refused(Buffer.from('PK\x03\x04 this is a zip file, not a bundle at all'), /not a memsnap bundle \(starts with bytes 504b0304/);
    await refused(Buffer.alloc(0), /empty input/);
    await refused(compress(Buffer.from('hello, not a tar archive, just text long enough to fill a block '.repeat(20))), /tar|not a memsnap bundle|first entry/);
    await refused(Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n'), /armored age file/);
  });
});
