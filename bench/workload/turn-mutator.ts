/**
 * One agent "turn" on a generated agent: what an agent does to its memory between two
 * snapshots. By default: 4 notes added, 17 edited (appending a section or rewriting a
 * paragraph; today's journal entry among them), one deleted every third turn, all
 * committed to git; 50 memories inserted with their embeddings, 6 concepts upserted, 5
 * memories updated and 2 deleted, a compaction every fifth turn; the extractor cursor
 * (and on compaction turns the dream-run record) rewritten.
 *
 * The mutator keeps one write connection to the database open across turns, as the agent
 * process does, so the WAL grows and is checkpointed by SQLite's autocheckpoint. Every
 * choice comes from the seed and the turn number: the same agent and turn give the same
 * changes. The turn counter lives in the extractor cursor, so any process can continue.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  agentLexicon,
  notePath,
  noteContent,
  readCursor,
  TURN_INTERVAL_MS,
  WORKLOAD_EPOCH_MS,
  writeState,
  type AgentLayout,
  type DreamRun,
} from './agent-generator.js';
import { createGitDriver, type GitDriver } from './git-driver.js';
import { MemoryDb, makeConcept, makeEmbedding, makeMemory } from './memory-db.js';
import { isoDate, markdownNote, paragraph, section, type Lexicon } from './prose.js';
import { WorkloadRng } from './rng.js';

/** How much one turn changes. Defaults give ~22 changed files and ~50 new rows. */
export interface TurnShape {
  /** New notes per turn (today's journal entry comes on top when it is new). Default 4. */
  readonly filesAdded?: number;
  /** Existing files edited per turn (today's journal entry included). Default 17. */
  readonly filesEdited?: number;
  /** One file is deleted on every turn divisible by this (0: never). Default 3. */
  readonly deleteEvery?: number;
  /** Memories inserted (each with its embedding). Default 50. */
  readonly memoriesInserted?: number;
  /** Concepts inserted or strengthened. Default 6. */
  readonly conceptsUpserted?: number;
  /** Existing memories updated (importance, access count). Default 5. */
  readonly memoriesUpdated?: number;
  /** Existing memories deleted with their vectors. Default 2. */
  readonly memoriesDeleted?: number;
  /** A compaction row and a new dream-run record on every turn divisible by this (0: never). Default 5. */
  readonly compactionEvery?: number;
}

/** What one turn changed. Paths are relative to the memdir, sorted. */
export interface TurnResult {
  readonly turn: number;
  /** Simulated time of the turn, ms since the epoch. */
  readonly timeMs: number;
  readonly added: string[];
  readonly edited: string[];
  readonly deleted: string[];
  readonly commit: string;
  readonly memoriesInserted: number[];
  readonly memoriesUpdated: number[];
  readonly memoriesDeleted: number[];
  readonly concepts: string[];
  /** Id of the compaction row written, if any. */
  readonly compaction?: number;
  /** State files rewritten, by name in {@link AgentLayout.stateFiles} (`cursor`, `dream`). */
  readonly stateFiles: string[];
}

/** Options of {@link TurnMutator.open}. */
export interface TurnMutatorOptions extends TurnShape {
  /** The agent's seed (for its lexicon). Default: the seed in ROOT/workload.json. */
  readonly seed?: number;
  /** Git implementation; default the git CLI when installed, else isomorphic-git. */
  readonly git?: GitDriver;
}

/** Applies turns to one agent. Close it to release the database connection. */
export class TurnMutator {
  private constructor(
    private readonly layout: AgentLayout,
    private readonly mdb: MemoryDb,
    private readonly lex: Lexicon,
    private readonly seed: number,
    private readonly shape: Required<TurnShape>,
    private readonly git: GitDriver,
  ) {}

  /** Opens the agent at `layout` for mutation (one write connection to its database). */
  static open(layout: AgentLayout, options: TurnMutatorOptions = {}): TurnMutator {
    const seed = options.seed ?? (JSON.parse(fs.readFileSync(layout.manifest, 'utf8')) as { seed: number }).seed;
    const shape: Required<TurnShape> = {
      filesAdded: options.filesAdded ?? 4,
      filesEdited: options.filesEdited ?? 17,
      deleteEvery: options.deleteEvery ?? 3,
      memoriesInserted: options.memoriesInserted ?? 50,
      conceptsUpserted: options.conceptsUpserted ?? 6,
      memoriesUpdated: options.memoriesUpdated ?? 5,
      memoriesDeleted: options.memoriesDeleted ?? 2,
      compactionEvery: options.compactionEvery ?? 5,
    };
    return new TurnMutator(layout, MemoryDb.open(layout.database), agentLexicon(seed), seed, shape, options.git ?? createGitDriver());
  }

  /** The agent's open write connection (for readers that must see uncommitted WAL state). */
  get database(): MemoryDb {
    return this.mdb;
  }

  /** Applies the next turn: files, git commit, database rows, state files. */
  async turn(): Promise<TurnResult> {
    const cursor = readCursor(this.layout);
    const turn = cursor.turn + 1;
    const timeMs = WORKLOAD_EPOCH_MS + turn * TURN_INTERVAL_MS;
    const rng = new WorkloadRng((this.seed * 1_000_003) ^ turn);
    const files = this.changeFiles(rng, turn, timeMs);
    const commit = await this.git.commitAll(this.layout.memdir, `turn ${turn}: ${files.added.length} added, ${files.edited.length} edited, ${files.deleted.length} deleted`, timeMs);
    const rows = this.changeRows(rng, cursor.lastMemoryId, turn, timeMs);
    const iso = new Date(timeMs).toISOString();
    const lastMemoryId = rows.memoriesInserted.at(-1) ?? cursor.lastMemoryId;
    let dream: DreamRun | undefined;
    if (rows.compaction !== undefined) {
      dream = { turn, startedAt: iso, finishedAt: new Date(timeMs + 42_000).toISOString(), memoriesConsidered: this.shape.compactionEvery * this.shape.memoriesInserted, compactionsWritten: 1, conceptsMerged: rows.concepts.length };
    }
    writeState(this.layout, { turn, lastMemoryId, offset: cursor.offset + rng.range(2000, 9000), updatedAt: iso }, dream);
    const stateFiles = dream ? ['cursor', 'dream'] : ['cursor'];
    return { turn, timeMs, ...files, commit, ...rows, stateFiles };
  }

  /** Closes the database connection (SQLite checkpoints and removes the WAL). */
  close(): void {
    this.mdb.close();
  }

  private changeFiles(rng: WorkloadRng, turn: number, timeMs: number): Pick<TurnResult, 'added' | 'edited' | 'deleted'> {
    const memdir = this.layout.memdir;
    const existing = listNotes(memdir);
    const added: string[] = [];
    const edited = new Set<string>();
    const deleted: string[] = [];
    // Today's journal entry: appended to, or started.
    const journal = path.join('journal', isoDate(timeMs).slice(0, 7), `${isoDate(timeMs)}.md`);
    const journalAbs = path.join(memdir, journal);
    if (fs.existsSync(journalAbs)) {
      fs.appendFileSync(journalAbs, `\n### Turn ${turn}\n\n${paragraph(rng, this.lex)}\n`);
      edited.add(journal);
    } else {
      writeNew(journalAbs, markdownNote(rng, this.lex, `journal ${isoDate(timeMs)}`, 600, timeMs));
      added.push(journal);
    }
    for (let i = 0; i < this.shape.filesAdded; i++) {
      const rel = notePath(rng, this.lex, turn * 1000 + i, timeMs);
      writeNew(path.join(memdir, rel), noteContent(rng, this.lex, rel, rng.size(4000, 0.7, 500, 30_000), timeMs));
      added.push(rel);
    }
    const candidates = existing.filter((p) => p !== journal);
    for (let i = edited.size; i < this.shape.filesEdited && candidates.length > 0; i++) {
      const rel = candidates.splice(rng.int(candidates.length), 1)[0]!;
      editFile(path.join(memdir, rel), rel, rng, this.lex, turn, timeMs);
      edited.add(rel);
    }
    if (this.shape.deleteEvery > 0 && turn % this.shape.deleteEvery === 0 && candidates.length > 0) {
      const rel = candidates.splice(rng.int(candidates.length), 1)[0]!;
      fs.rmSync(path.join(memdir, rel));
      deleted.push(rel);
    }
    return { added: added.sort(), edited: [...edited].sort(), deleted };
  }

  private changeRows(rng: WorkloadRng, lastId: number, turn: number, timeMs: number): Pick<TurnResult, 'memoriesInserted' | 'memoriesUpdated' | 'memoriesDeleted' | 'concepts' | 'compaction'> {
    const db = this.mdb.db;
    const memoriesInserted: number[] = [];
    const concepts: string[] = [];
    // The extraction: new memories with embeddings, and the concepts they mention.
    db.transaction(() => {
      for (let i = 1; i <= this.shape.memoriesInserted; i++) {
        const id = lastId + i;
        this.mdb.addMemory(makeMemory(rng, this.lex, id, timeMs + i * 1000), makeEmbedding(rng));
        memoriesInserted.push(id);
      }
      for (let i = 0; i < this.shape.conceptsUpserted; i++) {
        const name = makeConcept(rng, this.lex);
        this.mdb.touchConcept(name, rng.float(), timeMs);
        concepts.push(name);
      }
    })();
    // Recall and forgetting: some old memories gain weight, a few are dropped.
    const memoriesUpdated: number[] = [];
    const memoriesDeleted: number[] = [];
    const pickExisting = db.prepare('SELECT id FROM long_term WHERE id >= ? ORDER BY id LIMIT 1').pluck();
    const update = db.prepare('UPDATE long_term SET importance = min(1.0, importance + ?), access_count = access_count + 1, updated = ? WHERE id = ?');
    const del = db.prepare('DELETE FROM long_term WHERE id = ?');
    const delVec = db.prepare('DELETE FROM vectors WHERE memory_id = ?');
    let compaction: number | undefined;
    db.transaction(() => {
      for (let i = 0; i < this.shape.memoriesUpdated; i++) {
        const id = pickExisting.get(1 + rng.int(lastId)) as number | undefined;
        if (id === undefined) continue;
        update.run(Math.round(rng.float() * 100) / 1000, timeMs, id);
        memoriesUpdated.push(id);
      }
      for (let i = 0; i < this.shape.memoriesDeleted; i++) {
        const id = pickExisting.get(1 + rng.int(lastId)) as number | undefined;
        if (id === undefined || memoriesDeleted.includes(id)) continue;
        del.run(id);
        delVec.run(id);
        memoriesDeleted.push(id);
      }
      if (this.shape.compactionEvery > 0 && turn % this.shape.compactionEvery === 0) {
        const from = Math.max(1, lastId + this.shape.memoriesInserted - this.shape.compactionEvery * this.shape.memoriesInserted + 1);
        const to = lastId + this.shape.memoriesInserted;
        const summary = `${section(rng, this.lex, timeMs)}\n${section(rng, this.lex, timeMs)}`;
        const info = db.prepare('INSERT INTO compactions (created, summary, covers) VALUES (?, ?, ?)').run(timeMs, summary, JSON.stringify({ from, to, count: to - from + 1 }));
        compaction = Number(info.lastInsertRowid);
      }
    })();
    return { memoriesInserted, memoriesUpdated: memoriesUpdated.sort((a, b) => a - b), memoriesDeleted: memoriesDeleted.sort((a, b) => a - b), concepts, ...(compaction !== undefined ? { compaction } : {}) };
  }
}

/** Every note, record and journal file of the memdir (relative paths, sorted; not .git nor the database). */
export function listNotes(memdir: string): string[] {
  const out: string[] = [];
  for (const top of ['notes', 'records', 'journal']) {
    const dir = path.join(memdir, top);
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) out.push(path.relative(memdir, path.join(entry.parentPath, entry.name)));
    }
  }
  return out.sort();
}

function writeNew(abs: string, text: string): void {
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
}

/** Appends a section (60%) or rewrites one paragraph in the middle of the file (40%). JSON gains a record. */
function editFile(abs: string, rel: string, rng: WorkloadRng, lex: Lexicon, turn: number, timeMs: number): void {
  const text = fs.readFileSync(abs, 'utf8');
  if (rel.endsWith('.json')) {
    const doc = JSON.parse(text) as { records: unknown[] };
    doc.records.push({ id: `obs-t${turn}-${rng.u32().toString(16)}`, at: new Date(timeMs).toISOString(), text: paragraph(rng, lex), turn });
    fs.writeFileSync(abs, `${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  if (rng.chance(0.6)) {
    fs.appendFileSync(abs, `\n${section(rng, lex, timeMs)}`);
    return;
  }
  const blocks = text.split('\n\n');
  const i = blocks.length > 2 ? rng.range(1, blocks.length - 1) : blocks.length - 1;
  blocks[i] = paragraph(rng, lex);
  fs.writeFileSync(abs, blocks.join('\n\n'));
}
