/**
 * Restores a snapshot, whole or in part, into a new directory or in place.
 *
 * Whole restores are atomic: the tree is written into a temporary sibling directory and
 * renamed into place, so the target is either untouched or complete. In place, the old
 * directory is first captured as a `pre-operation` snapshot (unless `preSnapshot: false`),
 * then swapped out and removed. Partial restores (globs, one database) replace each
 * selected file atomically and leave everything else alone. State providers and key/value
 * fields are restored when the whole snapshot or `stateOnly` is asked for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { ProgressCallback } from '../cas/index.js';
import { compileGlob, captureAgent, type Glob, type StateProvider } from '../capture/index.js';
import { resolveSnapshot, type Repository, type SnapshotInfo } from '../snapshot/index.js';
import { writeWholeTree } from './stream-writer.js';
import { ensureRealDir, writeLeaf, writeTreeInto, type RestoreStats } from './tree-writer.js';

/** Options of {@link restoreSnapshot}. */
export interface RestoreOptions {
  /** Snapshot name: id, prefix, `agent@latest`, `agent~N` or tag. */
  readonly snapshot: string;
  /** Directory to restore into. */
  readonly target: string;
  /** Allow writing into an existing non-empty directory. Default false. */
  readonly inPlace?: boolean;
  /** Capture the target before an in-place restore. Default true. */
  readonly preSnapshot?: boolean;
  /** Restore only files matching these globs. */
  readonly paths?: readonly string[];
  /**
   * In place: paths of the current directory (globs, as for capture) to carry over into the
   * restored one untouched, e.g. what capture excludes (`cache/**`). Without it an in-place
   * whole restore makes the directory exactly the snapshot (the pre-operation snapshot holds
   * what it replaced).
   */
  readonly keep?: readonly string[];
  /** Restore only this database: its path relative to the agent directory, or the name or original path of an external one. */
  readonly database?: string;
  /** Where external databases (named outside the directory at capture) go, by name. */
  readonly databaseTargets?: Readonly<Record<string, string>>;
  /** Write external databases without a target back to the paths they were captured from. */
  readonly databasesToOrigin?: boolean;
  /** Restore only runtime state and fields, no files. */
  readonly stateOnly?: boolean;
  /** Providers to hand recorded state back to (by name). */
  readonly stateProviders?: readonly StateProvider[];
  /**
   * Also put the agent's key/value fields back in the store. Default: only for a whole
   * in-place restore or a state-only restore; a restore into a new directory leaves the
   * agent's live fields alone.
   */
  readonly fields?: boolean;
  /**
   * fsync every restored file before it is renamed into place. Default false: a restore is
   * atomic against a crash of this process either way, and an in-place restore first saves
   * the old state as a durable pre-operation snapshot; ask for this when the restored files
   * must survive a power loss the moment restore returns.
   */
  readonly durable?: boolean;
  readonly onProgress?: ProgressCallback;
}

/** What a restore did. */
export interface RestoreResult {
  readonly snapshot: SnapshotInfo;
  readonly target: string;
  readonly stats: RestoreStats;
  /** The pre-operation snapshot taken before an in-place restore. */
  readonly preSnapshot?: SnapshotInfo;
  readonly stateRestored: string[];
  /** Providers given for which the snapshot recorded no value: left untouched. */
  readonly stateNotRecorded: string[];
  readonly fieldsRestored: boolean;
  /** External databases written, with where they went. */
  readonly databasesRestored: { name: string; path: string }[];
  /** External databases in the snapshot that had no target (see `databaseTargets`, `databasesToOrigin`). */
  readonly databasesSkipped: string[];
}

/** Restores a snapshot; see the module comment. */
export async function restoreSnapshot(repo: Repository, options: RestoreOptions): Promise<RestoreResult> {
  const info = resolveSnapshot(repo.catalog, options.snapshot);
  const snapshot = await repo.readSnapshot(info.id);
  const target = path.resolve(options.target);
  const partial = options.paths !== undefined || options.database !== undefined;
  const stats: RestoreStats = { files: 0, dirs: 0, symlinks: 0, databases: 0, bytes: 0 };
  const existing = fs.lstatSync(target, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) throw new InvalidArgumentError(`restore target ${target} exists and is not a directory`);
  const nonEmpty = existing !== undefined && fs.readdirSync(target).length > 0;
  if (nonEmpty && !options.inPlace && !options.stateOnly) {
    throw new InvalidArgumentError(`restore target ${target} is not empty; choose a new directory or restore in place`, { target });
  }
  const external = snapshot.sources.databases;
  const onlyExternal = options.database !== undefined && external !== undefined && externalMatch(external.origins, options.database) !== undefined;
  let pre: SnapshotInfo | undefined;
  if (nonEmpty && options.inPlace && options.preSnapshot !== false && !options.stateOnly) {
    const overwritten = external && options.databasesToOrigin ? Object.values(external.origins) : [];
    pre = (
      await captureAgent(repo, {
        dir: target,
        agent: info.agent,
        kind: 'pre-operation',
        message: `before restoring ${info.id.slice(0, 12)}`,
        git: false,
        databases: overwritten.filter((p) => fs.existsSync(p)),
        stateProviders: options.stateProviders ?? [],
      })
    ).snapshot;
  }
  if (!options.stateOnly && !onlyExternal) {
    const total = partial ? 0 : snapshot.totals.files + snapshot.totals.databases;
    const base = { repo, stats, total, durable: options.durable ?? false, ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
    if (partial) {
      const select = selector(options);
      ensureRealDir(target);
      const wrote = await writeTreeInto({ ...base, select }, snapshot.sources.memdir.tree, target, '');
      if (!wrote) {
        if (!existing) fs.rmSync(target, { recursive: true, force: true }); // leave no empty directory behind
        throw new NotFoundError('path', [...(options.paths ?? []), options.database ?? ''].filter(Boolean).join(', '), { snapshot: info.id });
      }
    } else {
      assertStoreOutside(repo, target);
      await restoreWhole(target, existing !== undefined, (dir) => writeWholeTree(base, snapshot.sources.memdir.tree, dir), (options.keep ?? []).map(compileGlob));
    }
  }
  const databasesRestored: { name: string; path: string }[] = [];
  const databasesSkipped: string[] = [];
  // After the directory: a database target inside it must not be swapped away.
  if (external && !options.stateOnly && (!partial || onlyExternal)) {
    const only = onlyExternal ? externalMatch(external.origins, options.database!) : undefined;
    for (const entry of await repo.readTree(external.tree)) {
      if (only !== undefined && entry.name !== only) continue;
      const to = options.databaseTargets?.[entry.name] ?? (options.databasesToOrigin ? external.origins[entry.name] : undefined);
      if (to === undefined) {
        databasesSkipped.push(entry.name);
        continue;
      }
      const file = path.resolve(to);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await writeLeaf({ repo, stats, durable: options.durable ?? false }, entry, file);
      databasesRestored.push({ name: entry.name, path: file });
    }
  }
  const stateRestored: string[] = [];
  const stateNotRecorded: string[] = [];
  if (!partial || options.stateOnly) {
    for (const provider of options.stateProviders ?? []) {
      const value = snapshot.sources.state[provider.name];
      if (value === undefined) {
        stateNotRecorded.push(provider.name);
        continue;
      }
      await provider.restore(value);
      stateRestored.push(provider.name);
    }
  }
  const fieldsRestored = options.fields ?? ((options.inPlace === true && !partial) || options.stateOnly === true);
  if (fieldsRestored) repo.catalog.saveAllFields(info.agent, snapshot.sources.fields);
  return { snapshot: info, target, stats, ...(pre ? { preSnapshot: pre } : {}), stateRestored, stateNotRecorded, fieldsRestored, databasesRestored, databasesSkipped };
}

/** The name of the external database `what` names (by name or original path), if any. */
function externalMatch(origins: Readonly<Record<string, string>>, what: string): string | undefined {
  if (what in origins) return what;
  const abs = path.resolve(what);
  return Object.keys(origins).find((name) => origins[name] === abs);
}

function selector(options: RestoreOptions): (rel: string) => boolean {
  const globs = (options.paths ?? []).map(compileGlob);
  const db = options.database?.replace(/^\.?\/+/, '');
  return (rel) => globs.some((g) => g.matches(rel)) || rel === db;
}

/** Writes into a temporary sibling, then swaps it into place. */
async function restoreWhole(target: string, targetExists: boolean, write: (dir: string) => Promise<unknown>, keep: readonly Glob[] = []): Promise<void> {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = path.join(parent, `.${path.basename(target)}.memsnap-restore-${tag}`);
  fs.mkdirSync(tmp);
  // The mode a plain mkdir gives under this process's umask; private while being written.
  const defaultMode = fs.statSync(tmp).mode & 0o7777;
  fs.chmodSync(tmp, 0o700);
  try {
    await write(tmp);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  if (!targetExists) {
    fs.chmodSync(tmp, defaultMode);
    fs.renameSync(tmp, target);
    return;
  }
  // In place: the directory keeps its own mode (the snapshot records its contents, not it),
  // and the paths the caller keeps move over untouched.
  fs.chmodSync(tmp, fs.statSync(target).mode & 0o7777);
  if (keep.length > 0) carryOver(target, tmp, '', keep);
  const old = path.join(parent, `.${path.basename(target)}.memsnap-old-${tag}`);
  fs.renameSync(target, old);
  fs.renameSync(tmp, target);
  try {
    fs.rmSync(old, { recursive: true, force: true });
  } catch {
    // The restore itself is complete; what is left is the replaced copy, named for the user.
  }
}

/** Moves entries of `from` matching `keep` to the same place under `to` (replacing what is there). */
function carryOver(from: string, to: string, rel: string, keep: readonly Glob[]): void {
  for (const entry of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (keep.some((g) => g.matches(child))) {
      const dest = path.join(to, child);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.rmSync(dest, { recursive: true, force: true });
      fs.renameSync(path.join(from, child), dest);
    } else if (entry.isDirectory() && !entry.isSymbolicLink()) {
      carryOver(from, to, child, keep);
    }
  }
}

/** A whole restore swaps the target directory, which must not carry the store away with it. */
function assertStoreOutside(repo: Repository, target: string): void {
  const location = repo.chunks.backend.location;
  if (!location.startsWith('file:')) return;
  // Real paths: a symlinked parent must not hide that the swap would carry the store away.
  const storeDir = realPath(path.resolve(location.slice(5)));
  const real = realPath(target);
  if (storeDir === real || storeDir.startsWith(real + path.sep)) {
    throw new InvalidArgumentError(`the store ${storeDir} lies inside ${target}; restore the whole snapshot elsewhere, or restore paths (--path '**') in place`);
  }
}

/** `p` with symlinks resolved, for a path whose last segments may not exist yet. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    const parent = path.dirname(p);
    return parent === p ? p : path.join(realPath(parent), path.basename(p));
  }
}
