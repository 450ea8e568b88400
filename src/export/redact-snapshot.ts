/**
 * Redacting a snapshot: rewrite one snapshot of a source repository under redaction rules
 * into a target repository, as a new snapshot with its own id.
 *
 * The new root keeps the agent, time, kind and tags (less any tag holding a pattern match:
 * a tag cannot hold the marker), masks the message, redacts runtime
 * state and fields, rewrites the trees (tree-redaction.ts), recomputes the totals, has no
 * parent by default (the redacted snapshot is not part of the source's history), and
 * records `redaction: { original, rules }`: the source snapshot's id and the rules hash,
 * never anything that was removed. With the default `"git": "drop"`, `.git` entries and the
 * recorded git state are left out (git objects are compressed and hold the whole history,
 * which no rule can rewrite); `"refuse"` fails on them; `"keep"` keeps them with a warning.
 *
 * The target should be a fresh scratch store that the bundle exporter then exports: every
 * chunk written to it is one the redacted snapshot names, so the store holds nothing
 * redacted. A target that already holds a snapshot without a redaction record is refused.
 * Same source snapshot and rules give the same redacted snapshot id.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import { fileChunker } from '../chunker/index.js';
import { KIND_SNAPSHOT, sourcesDigest, writeSnapshot, writeTree, type Repository, type Snapshot, type SnapshotSources, type TreeEntry } from '../snapshot/index.js';
import { redactJsonRecord } from './json-redaction.js';
import { RedactionPlan } from './redaction-plan.js';
import { canonicalRules, parseRedactionRules, redactionRulesHash, type RedactionRules } from './redaction-rules.js';
import { emptyTreeRedactionCounts, redactDatabaseEntry, redactTree, type TreeRedactionContext, type TreeRedactionCounts } from './tree-redaction.js';

/** Options of {@link redactSnapshot}. */
export interface RedactOptions {
  /**
   * Parent of the redacted snapshot: null (default), or an earlier redacted snapshot in the
   * target (to export a redacted history, redact oldest first and chain them).
   */
  readonly parent?: ContentId | null;
  /** Record the snapshot in the target's catalog and move the agent's head to it. Default true. */
  readonly commit?: boolean;
}

/** What a redaction did. Paths are relative to the agent directory (external databases: their origin path without the leading `/`). */
export interface RedactionReport extends Omit<TreeRedactionCounts, 'matches'> {
  /** Id of the redacted snapshot in the target. */
  readonly id: ContentId;
  readonly original: ContentId;
  /** The rules hash recorded in the snapshot. */
  readonly rulesHash: ContentId;
  /** External databases left out by `dropPaths`, by name. */
  readonly externalDatabasesDropped: string[];
  /** State key paths dropped (`provider/key/...`). */
  readonly stateKeysDropped: string[];
  /** Field key paths dropped. */
  readonly fieldsDropped: string[];
  /** Tags left out because they hold a pattern match (with `applyPatternsTo.message`). */
  readonly tagsDropped: string[];
  /** Pattern matches replaced everywhere (files, symlinks, databases, state, fields, message). */
  readonly matchesMasked: number;
  /** Whether the recorded git state (HEAD, branch) was left out (`.git` entries left out: `gitDropped`). */
  readonly gitStateDropped: boolean;
  readonly totals: Snapshot['totals'];
  /** Things the caller should tell the user (kept git history, rules that matched nothing). */
  readonly warnings: string[];
}

/**
 * Redacts snapshot `snapshot` of `source` into `target` under `rules` (see the module
 * comment). `rules` may be hand-built: they are validated and normalized again here.
 * @throws InvalidArgumentError for bad rules, a rule naming a table or column no matched
 *   database has, a database that cannot be redacted, git metadata under `"git": "refuse"`,
 *   a target holding unredacted snapshots, or a parent that is not a redacted snapshot in the
 *   target; NotFoundError / CorruptChunkError from reading the source. On failure the target
 *   may hold chunks of the unfinished snapshot (never of removed content): discard it.
 */
export async function redactSnapshot(source: Repository, snapshot: ContentId, rules: RedactionRules, target: Repository, options: RedactOptions = {}): Promise<RedactionReport> {
  const parsed = parseRedactionRules(canonicalRules(rules));
  const rulesHash = redactionRulesHash(parsed);
  const plan = new RedactionPlan(parsed);
  const original = await source.readSnapshot(snapshot);
  const parent = options.parent ?? null;
  await assertCanRedact(source, snapshot, original, parsed, target, parent);
  const git = original.sources.memdir.git;
  const writer = target.chunks.createWriter();
  try {
    const ctx: TreeRedactionContext = {
      source,
      writer,
      plan,
      fileChunker: fileChunker(target.chunks.config.chunkers.file),
      pageChunkerName: target.chunks.config.chunkers.sqlite,
      counts: emptyTreeRedactionCounts(),
      totals: { files: 0, dirs: 0, symlinks: 0, databases: 0, bytes: 0 },
    };
    const memdirTree = await redactTree(ctx, original.sources.memdir.tree, '');
    const external = await redactExternal(ctx, original.sources.databases);
    const state = redactJsonRecord(original.sources.state, parsed.dropStateKeys, plan.maskerFor('state'));
    const fields = redactJsonRecord(original.sources.fields, parsed.dropFields, plan.maskerFor('fields'), 'dropFields');
    const message = plan.maskerFor('message')?.maskString(original.message) ?? { value: original.message, matches: 0 };
    // A tag cannot hold the marker (tags are letters, digits and ._:-): a tag with a match is dropped.
    const tagsDropped = original.tags.filter((t) => plan.maskerFor('message')?.test(t));
    const warnings = plan.assertRulesMatched();
    const keepGit = parsed.git === 'keep' && git !== undefined;
    if (parsed.git === 'keep' && (git !== undefined || ctx.counts.gitKept.length > 0)) {
      warnings.push('git history was kept ("git": "keep"): objects under .git may still hold content the other rules removed');
    }
    const sources: SnapshotSources = {
      memdir: keepGit ? { tree: memdirTree, git } : { tree: memdirTree },
      state: state.value,
      fields: fields.value,
      ...(external.databases ? { databases: external.databases } : {}),
    };
    const redacted: Snapshot = {
      agent: original.agent,
      parent,
      timeMs: original.timeMs,
      kind: original.kind,
      tags: original.tags.filter((t) => !tagsDropped.includes(t)),
      message: message.value,
      sources,
      totals: { ...ctx.totals },
      redaction: { original: snapshot, rules: rulesHash },
    };
    const id = await writeSnapshot(writer, redacted);
    await writer.close();
    if (options.commit !== false) commit(target, id, redacted);
    const { matches, ...counts } = ctx.counts;
    return {
      ...counts,
      id,
      original: snapshot,
      rulesHash,
      externalDatabasesDropped: external.dropped,
      stateKeysDropped: state.dropped,
      fieldsDropped: fields.dropped,
      tagsDropped,
      matchesMasked: matches + state.matches + fields.matches + message.matches,
      gitStateDropped: git !== undefined && !keepGit,
      totals: redacted.totals,
      warnings,
    };
  } finally {
    writer.release();
  }
}

/** Everything that must hold before anything is written. */
async function assertCanRedact(source: Repository, snapshot: ContentId, original: Snapshot, rules: RedactionRules, target: Repository, parent: ContentId | null): Promise<void> {
  const location = target.chunks.backend.location;
  if (source === target || (location.startsWith('file:') && source.chunks.backend.location === location)) {
    throw new InvalidArgumentError('redaction must write into another store than the one it reads (the source keeps everything the rules remove); use a fresh store', { location });
  }
  await assertTargetRedactedOnly(target);
  if (parent !== null && !(target.chunks.has(parent) && (await target.readSnapshot(parent)).redaction)) {
    throw new InvalidArgumentError(`parent ${parent.slice(0, 12)} is not a redacted snapshot in the target store`, { parent });
  }
  if (original.sources.memdir.git && rules.git === 'refuse') {
    throw new InvalidArgumentError(`snapshot ${snapshot.slice(0, 12)} was captured from a git repository, and the redaction rules say "git": "refuse"; use "git": "drop" to leave git history out`, { snapshot });
  }
}

/** External databases: matched by their origin path without the leading `/`. */
async function redactExternal(ctx: TreeRedactionContext, databases: SnapshotSources['databases']): Promise<{ databases?: NonNullable<SnapshotSources['databases']>; dropped: string[] }> {
  if (!databases) return { dropped: [] };
  const entries: TreeEntry[] = [];
  const origins: Record<string, string> = {};
  const dropped: string[] = [];
  for (const entry of await ctx.source.readTree(databases.tree)) {
    const origin = databases.origins[entry.name];
    const rulePath = (origin ?? entry.name).replace(/^\/+/, '');
    if (ctx.plan.dropsPath(rulePath)) {
      dropped.push(entry.name);
      continue;
    }
    ctx.totals.databases++;
    entries.push(await redactDatabaseEntry(ctx, entry, rulePath));
    if (origin !== undefined) origins[entry.name] = origin;
  }
  if (entries.length === 0) return { dropped };
  return { databases: { tree: await writeTree(ctx.writer, entries), origins }, dropped };
}

/** Refuses a target that holds a snapshot root without a redaction record (it would end up in the bundle beside the redacted one). */
async function assertTargetRedactedOnly(target: Repository): Promise<void> {
  for (const id of target.chunks.index.idsOfKind(KIND_SNAPSHOT)) {
    if (!(await target.readSnapshot(id)).redaction) {
      throw new InvalidArgumentError(`the target store holds snapshot ${id.slice(0, 12)}, which is not redacted; redact into a fresh store`, { snapshot: id });
    }
  }
}

function commit(target: Repository, id: ContentId, s: Snapshot): void {
  const head = target.catalog.head(s.agent);
  if (head === id) return; // the same redaction again
  target.catalog.commit({
    id,
    agent: s.agent,
    parent: s.parent,
    expectedParent: head,
    timeMs: s.timeMs,
    kind: s.kind,
    tags: [...new Set(s.tags)].sort(),
    message: s.message,
    bytes: s.totals.bytes,
    sourcesDigest: sourcesDigest(s.sources),
    idempotencyKey: null,
  });
}
