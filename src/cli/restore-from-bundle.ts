/**
 * `restore --from-bundle`: a bundle is imported (verified) into a temporary store created
 * beside the restore target (same filesystem, not a RAM-backed /tmp), the snapshot is
 * restored from there, and the temporary store is removed. Disk use while it runs: about
 * the bundle's compressed size. Lives in the CLI because export may not import restore.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import { importBundle, type BundleDecryption, type ImportResult } from '../export/index.js';
import type { ProgressCallback } from '../cas/index.js';
import { Repository } from '../snapshot/index.js';
import { openBundleInput } from './bundle-files.js';

/**
 * Imports `file` into a temporary store next to `target` and runs `fn` with it and the name
 * of the snapshot to restore (`ref`, or the bundle's head when it holds one agent).
 */
export async function withBundleStore<T>(
  file: string,
  target: string,
  ref: string | undefined,
  options: { decryption: BundleDecryption; onProgress?: ProgressCallback },
  fn: (repo: Repository, snapshot: string, imported: ImportResult) => Promise<T>,
): Promise<T> {
  const parent = path.dirname(path.resolve(target));
  fs.mkdirSync(parent, { recursive: true });
  const dir = fs.mkdtempSync(path.join(parent, '.memsnap-bundle-'));
  try {
    const repo = await Repository.init(path.join(dir, 'store'), { durable: false });
    try {
      const imported = await importBundle(repo, openBundleInput(file), { decryption: options.decryption, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
      let snapshot = ref;
      if (snapshot === undefined) {
        if (imported.refs.length !== 1) throw new InvalidArgumentError(`the bundle holds snapshots of ${imported.refs.length} agents (${imported.refs.map((r) => r.agent).join(', ')}); name the one to restore`);
        snapshot = imported.refs[0]!.bundleHead;
      }
      return await fn(repo, snapshot, imported);
    } finally {
      await repo.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
