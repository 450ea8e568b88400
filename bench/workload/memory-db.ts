/**
 * The agent's memory database: schema and row makers shared by the generator (bulk load)
 * and the turn mutator (a few rows per turn). Laid out like a real agent's store: a
 * long-term memory table with indexes on time and topic, 384-float32 embeddings in their
 * own table, a WITHOUT ROWID concept table, compactions, and a small meta table. WAL mode.
 */
import Database from 'better-sqlite3';
import type { WorkloadRng } from './rng.js';
import { conceptName, paragraph, sentence, TOPIC_NAMES, type Lexicon } from './prose.js';

/** Dimensions of one embedding (float32 values). */
export const EMBEDDING_DIM = 384;

/** The schema, as an application would create it. */
export const MEMORY_SCHEMA = `
CREATE TABLE long_term (
  id INTEGER PRIMARY KEY,
  created INTEGER NOT NULL,          -- ms since the epoch
  updated INTEGER NOT NULL,          -- ms since the epoch
  kind TEXT NOT NULL,                -- fact | episode | preference | reflection
  topic TEXT NOT NULL,
  text TEXT NOT NULL,
  importance REAL NOT NULL,          -- 0..1
  access_count INTEGER NOT NULL DEFAULT 0,
  source TEXT                        -- where it was extracted from
);
CREATE INDEX long_term_created ON long_term(created);
CREATE INDEX long_term_topic ON long_term(topic, created);
CREATE TABLE vectors (
  memory_id INTEGER PRIMARY KEY REFERENCES long_term(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  embedding BLOB NOT NULL            -- ${EMBEDDING_DIM} little-endian float32
);
CREATE TABLE concepts (
  name TEXT PRIMARY KEY,
  weight REAL NOT NULL,
  mentions INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX concepts_weight ON concepts(weight);
CREATE TABLE compactions (
  id INTEGER PRIMARY KEY,
  created INTEGER NOT NULL,
  summary TEXT NOT NULL,
  covers TEXT NOT NULL               -- JSON: {"from": id, "to": id, "count": n}
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/** The tables of the memory database, for row counts in verification. */
export const MEMORY_TABLES = ['long_term', 'vectors', 'concepts', 'compactions', 'meta'] as const;

const KINDS = ['fact', 'episode', 'preference', 'reflection'];

/** One memory row as inserted. */
export interface MemoryRow {
  id: number;
  created: number;
  kind: string;
  topic: string;
  text: string;
  importance: number;
  source: string;
}

/** Prepared statements over an open memory database. */
export class MemoryDb {
  private readonly insertMemory: Database.Statement;
  private readonly insertVector: Database.Statement;
  private readonly upsertConcept: Database.Statement;

  constructor(readonly db: Database.Database) {
    this.insertMemory = db.prepare(
      'INSERT INTO long_term (id, created, updated, kind, topic, text, importance, access_count, source) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)',
    );
    this.insertVector = db.prepare('INSERT INTO vectors (memory_id, model, embedding) VALUES (?, ?, ?)');
    this.upsertConcept = db.prepare(
      `INSERT INTO concepts (name, weight, mentions, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT(name) DO UPDATE SET weight = weight * 0.9 + excluded.weight, mentions = mentions + 1, last_seen = excluded.last_seen`,
    );
  }

  /** Creates `file` with the schema in WAL mode (page size 4096, SQLite's default). */
  static create(file: string): MemoryDb {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(MEMORY_SCHEMA);
    return new MemoryDb(db);
  }

  /** Opens an existing memory database for writing, as the agent process does. */
  static open(file: string): MemoryDb {
    const db = new Database(file, { fileMustExist: true });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return new MemoryDb(db);
  }

  /** Inserts one memory and its embedding. */
  addMemory(row: MemoryRow, embedding: Buffer): void {
    this.insertMemory.run(row.id, row.created, row.created, row.kind, row.topic, row.text, row.importance, row.source);
    this.insertVector.run(row.id, 'minilm-l6-v2', embedding);
  }

  /** Inserts a concept or strengthens an existing one. */
  touchConcept(name: string, weight: number, atMs: number): void {
    this.upsertConcept.run(name, weight, atMs, atMs);
  }

  /** The highest memory id (0 when empty). */
  maxMemoryId(): number {
    return (this.db.prepare('SELECT coalesce(max(id), 0) AS m FROM long_term').get() as { m: number }).m;
  }

  close(): void {
    this.db.close();
  }
}

/** A memory row with generated text (1-4 sentences, sometimes a paragraph). */
export function makeMemory(rng: WorkloadRng, lex: Lexicon, id: number, createdMs: number): MemoryRow {
  const text = rng.chance(0.2) ? paragraph(rng, lex) : Array.from({ length: rng.range(1, 4) }, () => sentence(rng, lex)).join(' ');
  return {
    id,
    created: createdMs,
    kind: KINDS[rng.zipf(KINDS.length)]!,
    topic: TOPIC_NAMES[rng.zipf(TOPIC_NAMES.length)]!,
    text,
    importance: Math.round(rng.float() * 1000) / 1000,
    source: `turn:${Math.floor(id / 50)}`,
  };
}

/**
 * A unit-length embedding of {@link EMBEDDING_DIM} float32 values. Like real embeddings its
 * bytes are essentially incompressible (full-precision mantissas).
 */
export function makeEmbedding(rng: WorkloadRng): Buffer {
  const v = new Float32Array(EMBEDDING_DIM);
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const x = rng.float() * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * scale;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A concept name for this agent. */
export function makeConcept(rng: WorkloadRng, lex: Lexicon): string {
  return conceptName(rng, lex);
}
