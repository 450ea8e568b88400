/**
 * Rewriting a snapshot's trees under redaction rules, from a source repository into a
 * target's chunk writer.
 *
 * Entries matched by `dropPaths` (and `.git` entries, unless the rules keep git) are left
 * out, with everything below them; a name holding a pattern match is refused (names are
 * never masked). Content no rule touches is copied chunk by chunk (every
 * chunk verified as it is read from the source); a text file with pattern matches is
 * re-chunked with the target's file chunker; a database any rule touches is redacted in
 * memory and stored with the target's page chunker; symlink targets are masked. Modes and
 * mtimes are kept. Only chunks the rewritten trees name are ever written to the target.
 */
import type { ChunkWriter } from '../cas/index.js';
import { pageChunker, type Chunker } from '../chunker/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import { ingestBuffer } from '../ingest/index.js';
import { contentChunks, writeContent, writeTree, type ChunkRef, type ContentRef, type Repository, type SnapshotTotals, type TreeEntry } from '../snapshot/index.js';
import { redactDatabaseImage } from './database-redaction.js';
import { GIT_ENTRY, type RedactionPlan } from './redaction-plan.js';

/** What a tree rewrite did, by path (relative to the agent directory). */
export interface TreeRedactionCounts {
  /** Entries left out by `dropPaths` (a directory counts once, with everything below it). */
  readonly pathsDropped: string[];
  /** Files, databases and symlinks left out by `dropPaths`, counting those inside dropped directories. */
  filesDropped: number;
  /** `.git` entries left out. */
  readonly gitDropped: string[];
  /** `.git` entries kept (`"git": "keep"`). */
  readonly gitKept: string[];
  /** Regular files whose content was masked. */
  readonly filesMasked: string[];
  /** Symlinks whose target was masked. */
  readonly symlinksMasked: string[];
  /** Databases rewritten by redaction. */
  readonly databasesRedacted: string[];
  /** `path: table` of every table dropped. */
  readonly tablesDropped: string[];
  /** `path: table.column` of every column nulled / masked. */
  readonly columnsNulled: string[];
  readonly columnsMasked: string[];
  /** Pattern matches replaced (files, symlinks, database TEXT values). */
  matches: number;
}

/** Shared state of one rewrite. */
export interface TreeRedactionContext {
  readonly source: Pick<Repository, 'readTree' | 'getChunk' | 'chunks'>;
  readonly writer: ChunkWriter;
  readonly plan: RedactionPlan;
  /** The target store's file chunker (for masked files). */
  readonly fileChunker: Chunker;
  /** The target store's page chunker name (for redacted databases). */
  readonly pageChunkerName: string;
  readonly counts: TreeRedactionCounts;
  /** Totals of what the rewritten trees hold (filled in as entries are written). */
  readonly totals: { -readonly [K in keyof SnapshotTotals]: SnapshotTotals[K] };
}

/** A new, empty counts record. */
export function emptyTreeRedactionCounts(): TreeRedactionCounts {
  return { pathsDropped: [], filesDropped: 0, gitDropped: [], gitKept: [], filesMasked: [], symlinksMasked: [], databasesRedacted: [], tablesDropped: [], columnsNulled: [], columnsMasked: [], matches: 0 };
}

/**
 * Rewrites tree `id` found at `relPath` (`''` for the agent directory) and returns the new
 * tree's id. @throws InvalidArgumentError when the rules refuse git and a `.git` entry is
 * found, or a database cannot be redacted; what reads throw for a damaged source.
 */
export async function redactTree(ctx: TreeRedactionContext, id: ContentId, relPath: string): Promise<ContentId> {
  const out: TreeEntry[] = [];
  for (const entry of await ctx.source.readTree(id)) {
    const child = relPath === '' ? entry.name : `${relPath}/${entry.name}`;
    if (entry.name === GIT_ENTRY && ctx.plan.rules.git === 'keep') ctx.counts.gitKept.push(child);
    else if (entry.name === GIT_ENTRY) {
      if (ctx.plan.rules.git === 'refuse') {
        throw new InvalidArgumentError(`the snapshot holds git metadata at ${child}, and the redaction rules say "git": "refuse" (git history may hold what the rules remove); use "git": "drop" to leave it out`, { path: child });
      }
      ctx.counts.gitDropped.push(child);
      continue;
    }
    if (ctx.plan.dropsPath(child)) {
      ctx.counts.pathsDropped.push(child);
      ctx.counts.filesDropped += await countLeaves(ctx, entry);
      continue;
    }
    // A name cannot be masked (renaming would change what restores where): refuse a match.
    if (ctx.plan.masker.active && !insideGit(relPath) && ctx.plan.masker.test(entry.name)) {
      throw new InvalidArgumentError(`the name of ${child} holds a match of maskPatterns, and names are never masked; leave it out with dropPaths`, { path: child });
    }
    out.push(await redactEntry(ctx, entry, child));
  }
  return writeTree(ctx.writer, out);
}

/** Files, databases and symlinks at or below `entry` (trees are read; contents are not). */
async function countLeaves(ctx: TreeRedactionContext, entry: TreeEntry): Promise<number> {
  if (entry.kind !== 'dir') return 1;
  let n = 0;
  for (const child of await ctx.source.readTree(entry.tree!)) n += await countLeaves(ctx, child);
  return n;
}

/** Whether `relPath` lies inside a kept `.git` (its files are never masked: that would corrupt the repository). */
function insideGit(relPath: string): boolean {
  return relPath.split('/').includes(GIT_ENTRY);
}

async function redactEntry(ctx: TreeRedactionContext, entry: TreeEntry, child: string): Promise<TreeEntry> {
  switch (entry.kind) {
    case 'dir':
      ctx.totals.dirs++;
      return { ...entry, tree: await redactTree(ctx, entry.tree!, child) };
    case 'symlink': {
      ctx.totals.symlinks++;
      if (!ctx.plan.masksSymlinks || insideGit(child)) return entry;
      const m = ctx.plan.masker.maskString(entry.target!);
      if (m.matches === 0) return entry;
      ctx.counts.symlinksMasked.push(child);
      ctx.counts.matches += m.matches;
      return { ...entry, target: m.value };
    }
    case 'sqlite':
      ctx.totals.databases++;
      return redactDatabaseEntry(ctx, entry, child);
    default: {
      ctx.totals.files++;
      ctx.totals.bytes += entry.content!.size;
      if (!ctx.plan.masksFile(child) || insideGit(child)) return { ...entry, content: await copyContent(ctx, entry.content!) };
      return { ...entry, content: await maskFile(ctx, entry.content!, child) };
    }
  }
}

/** Redacts (or copies) one database entry; also used for external databases, by origin path. */
export async function redactDatabaseEntry(ctx: TreeRedactionContext, entry: TreeEntry, rulePath: string): Promise<TreeEntry> {
  const what = ctx.plan.databaseFor(rulePath);
  if (!what) {
    ctx.totals.bytes += entry.content!.size;
    return { ...entry, content: await copyContent(ctx, entry.content!) };
  }
  const { bytes } = await readContent(ctx, entry.content!);
  const r = redactDatabaseImage(bytes, what, rulePath);
  ctx.plan.noteDatabase(rulePath, r);
  ctx.counts.databasesRedacted.push(rulePath);
  ctx.counts.tablesDropped.push(...r.tablesDropped.map((t) => `${rulePath}: ${t}`));
  ctx.counts.columnsNulled.push(...r.columnsNulled.map((c) => `${rulePath}: ${c}`));
  ctx.counts.columnsMasked.push(...r.columnsMasked.map((c) => `${rulePath}: ${c}`));
  ctx.counts.matches += r.matches;
  const ingested = await ingestBuffer(ctx.writer, r.image, pageChunker(ctx.pageChunkerName, r.pageSize));
  const content = await writeContent(ctx.writer, ingested.ids.map((id, i) => [id, ingested.lengths[i]!] as const));
  ctx.totals.bytes += content.size;
  return { ...entry, content, pageSize: r.pageSize };
}

async function maskFile(ctx: TreeRedactionContext, content: ContentRef, child: string): Promise<ContentRef> {
  const { refs, bytes } = await readContent(ctx, content);
  const m = ctx.plan.masker.maskBytes(bytes);
  if (m.matches === 0) return storeChunks(ctx, refs, bytes);
  ctx.counts.filesMasked.push(child);
  ctx.counts.matches += m.matches;
  ctx.totals.bytes += m.value.length - bytes.length;
  const ingested = await ingestBuffer(ctx.writer, m.value, ctx.fileChunker);
  return writeContent(ctx.writer, ingested.ids.map((id, i) => [id, ingested.lengths[i]!] as const));
}

const BATCH = 256;

/** Copies content chunk by chunk (skipping chunks the target has), and writes its list nodes. */
async function copyContent(ctx: TreeRedactionContext, content: ContentRef): Promise<ContentRef> {
  const refs = await chunkRefs(ctx, content);
  for (let i = 0; i < refs.length; i += BATCH) {
    const missing = refs.slice(i, i + BATCH).map(([id]) => id).filter((id) => !ctx.writer.has(id));
    let j = 0;
    for await (const bytes of ctx.source.chunks.getMany(missing)) await ctx.writer.putWithId(missing[j++]!, bytes);
  }
  return writeContent(ctx.writer, refs);
}

/** Stores bytes already read as the chunks `refs` describe (unchanged content, not re-chunked). */
async function storeChunks(ctx: TreeRedactionContext, refs: readonly ChunkRef[], bytes: Uint8Array): Promise<ContentRef> {
  let at = 0;
  for (const [id, length] of refs) {
    await ctx.writer.putWithId(id, bytes.subarray(at, at + length));
    at += length;
  }
  return writeContent(ctx.writer, refs);
}

async function chunkRefs(ctx: TreeRedactionContext, content: ContentRef): Promise<ChunkRef[]> {
  const refs: ChunkRef[] = [];
  for await (const ref of contentChunks((id) => ctx.source.getChunk(id), content)) refs.push(ref);
  return refs;
}

/** The whole content in memory, with its chunk list. */
async function readContent(ctx: TreeRedactionContext, content: ContentRef): Promise<{ refs: ChunkRef[]; bytes: Buffer }> {
  const refs = await chunkRefs(ctx, content);
  const bytes = Buffer.allocUnsafe(content.size);
  let at = 0;
  for await (const chunk of ctx.source.chunks.getMany(refs.map(([id]) => id))) {
    if (at + chunk.length > bytes.length) throw new InvalidArgumentError(`content is longer than its recorded size ${content.size}`);
    bytes.set(chunk, at);
    at += chunk.length;
  }
  if (at !== content.size) throw new InvalidArgumentError(`content is ${at} bytes, its recorded size is ${content.size}`);
  return { refs, bytes };
}
