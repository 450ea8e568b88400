/**
 * Helpers for bundle tests: export into memory, read from memory, capture a fixture agent
 * into a fresh store, and craft raw bundles (tar through tar-stream, zstd) for hostile cases.
 */
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import * as tar from 'tar-stream';
import { compress } from 'zstd-napi';
import { captureAgent } from '../../src/capture/index.js';
import { exportBundle, type ExportOptions, type ExportResult } from '../../src/export/index.js';
import { Repository } from '../../src/snapshot/index.js';

/** A writable that collects everything written to it. */
export class Collector extends Writable {
  readonly parts: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.parts.push(chunk);
    done();
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Exports into memory. */
export async function exportToBuffer(repo: Repository, options: ExportOptions): Promise<{ bytes: Buffer; result: ExportResult }> {
  const out = new Collector();
  const result = await exportBundle(repo, out, options);
  return { bytes: out.bytes(), result };
}

/** A stream of `bytes` in pieces of `piece` bytes (to exercise boundaries). */
export function streamOf(bytes: Uint8Array, piece = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += piece) parts.push(Buffer.from(bytes.subarray(i, i + piece)));
  return Readable.from(parts, { objectMode: false });
}

/** A new on-disk store under `root`. */
export function newRepo(root: string, name = 'store'): Promise<Repository> {
  return Repository.init(path.join(root, name), { durable: false });
}

/** Captures `dir` as `agent` (no git state, so tests are fast). */
export async function capture(repo: Repository, dir: string, agent = 'agent'): Promise<string> {
  return (await captureAgent(repo, { dir, agent, git: false })).snapshot.id;
}

/** One raw tar entry for {@link craftBundle}. */
export interface RawEntry {
  readonly name: string;
  readonly bytes?: Buffer;
  readonly type?: 'file' | 'symlink' | 'directory' | 'link';
  readonly linkname?: string;
  /** Header size when it must lie (defaults to the bytes' length). */
  readonly size?: number;
}

/** A tar archive of `entries` (uncompressed). */
export async function craftTar(entries: readonly RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (b) => chunks.push(b as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type ?? 'file', mtime: new Date(0), mode: 0o644, ...(e.linkname ? { linkname: e.linkname } : {}), size: e.size ?? e.bytes?.length ?? 0 };
      if (header.type === 'file') pack.entry(header, e.bytes ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
      else pack.entry(header, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A tar of `entries`, zstd-compressed: a bundle in form, whatever its content. */
export async function craftBundle(entries: readonly RawEntry[]): Promise<Buffer> {
  return compress(await craftTar(entries));
}

/** Lists the tar entries of an (unencrypted) bundle: names and bytes. */
export async function bundleEntries(bundle: Buffer): Promise<{ name: string; bytes: Buffer }[]> {
  const { decompress } = await import('zstd-napi');
  const raw = decompress(bundle);
  const extract = tar.extract();
  const out: { name: string; bytes: Buffer }[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const p of entry) parts.push(p as Buffer);
      out.push({ name: entry.header.name, bytes: Buffer.concat(parts) });
    }
  })();
  extract.end(raw);
  await done;
  return out;
}
