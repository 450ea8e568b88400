/**
 * The snapshot catalog, refs, key/value fields and capture cache: tables in the store's
 * SQLite index database, beside the chunk index (schema in docs/FORMAT.md).
 *
 * The catalog mirrors what snapshot objects say, so lookups need no chunk reads; refs are
 * the per-agent heads. A commit is one IMMEDIATE transaction that checks the expected
 * parent (compare-and-swap) and the idempotency key, then records the snapshot and moves
 * the head. Everything here is synchronous (better-sqlite3).
 */
import type Database from 'better-sqlite3';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { ContentId } from '../hash/index.js';
import type { JsonValue, SnapshotKind } from './snapshot-object.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshots (
  id TEXT PRIMARY KEY,
  agent TEXT NOT NULL,
  parent TEXT,
  seq INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  tags TEXT NOT NULL,
  message TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  sources_digest TEXT NOT NULL,
  idempotency_key TEXT
);
CREATE INDEX IF NOT EXISTS snapshots_by_agent ON snapshots(agent, seq);
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_by_key ON snapshots(agent, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS refs (agent TEXT PRIMARY KEY, head TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fields (agent TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY (agent, key));
CREATE TABLE IF NOT EXISTS capture_entries (
  agent TEXT NOT NULL, source TEXT NOT NULL, rel TEXT NOT NULL,
  kind TEXT NOT NULL, stat TEXT NOT NULL, value TEXT NOT NULL, page_size INTEGER,
  PRIMARY KEY (agent, source, rel)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS capture_db_state (
  agent TEXT NOT NULL, source TEXT NOT NULL, rel TEXT NOT NULL, state BLOB NOT NULL,
  PRIMARY KEY (agent, source, rel)
) WITHOUT ROWID;
`;

/** One snapshot as listed by the catalog. */
export interface SnapshotInfo {
  readonly id: ContentId;
  readonly agent: string;
  readonly parent: ContentId | null;
  /** 1 for an agent's first snapshot, parent's seq + 1 after. */
  readonly seq: number;
  readonly timeMs: number;
  readonly kind: SnapshotKind;
  readonly tags: readonly string[];
  readonly message: string;
  /** Logical bytes of file and database content. */
  readonly bytes: number;
  readonly sourcesDigest: string;
  readonly idempotencyKey: string | null;
}

/** What a commit records. */
export interface CommitRecord extends Omit<SnapshotInfo, 'seq'> {
  /** The head the capture started from; the commit fails if the head moved since. */
  readonly expectedParent: ContentId | null;
}

/** How a commit ended: a new snapshot, or an earlier one under the same idempotency key. */
export interface CommitOutcome {
  readonly snapshot: SnapshotInfo;
  /** True when an identical capture with the same idempotency key already existed. */
  readonly replayed: boolean;
}

/** One row of the capture cache; its meaning belongs to the capture layer. */
export interface CacheRow {
  readonly kind: string;
  readonly stat: string;
  readonly value: string;
  readonly pageSize?: number;
}

/** Filters for {@link Catalog.list}. */
export interface ListFilter {
  readonly agent?: string;
  readonly kind?: SnapshotKind;
  readonly tag?: string;
  readonly sinceMs?: number;
  readonly untilMs?: number;
  /** Newest first, at most this many. */
  readonly limit?: number;
}

interface Row {
  id: string;
  agent: string;
  parent: string | null;
  seq: number;
  time_ms: number;
  kind: string;
  tags: string;
  message: string;
  bytes: number;
  sources_digest: string;
  idempotency_key: string | null;
}

function toInfo(r: Row): SnapshotInfo {
  return {
    id: r.id as ContentId,
    agent: r.agent,
    parent: r.parent as ContentId | null,
    seq: r.seq,
    timeMs: r.time_ms,
    kind: r.kind as SnapshotKind,
    tags: JSON.parse(r.tags) as string[],
    message: r.message,
    bytes: r.bytes,
    sourcesDigest: r.sources_digest,
    idempotencyKey: r.idempotency_key,
  };
}

/** Catalog, refs, fields and capture cache over one SQLite connection. */
export class Catalog {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  /** The head snapshot id of `agent`, or null when it has none. */
  head(agent: string): ContentId | null {
    return ((this.db.prepare(`SELECT head FROM refs WHERE agent = ?`).pluck().get(agent) as string | undefined) ?? null) as ContentId | null;
  }

  /** Every agent with a head, sorted. */
  agents(): string[] {
    return this.db.prepare(`SELECT agent FROM refs ORDER BY agent`).pluck().all() as string[];
  }

  /** The catalog row of `id`, or undefined. */
  get(id: ContentId): SnapshotInfo | undefined {
    const row = this.db.prepare(`SELECT * FROM snapshots WHERE id = ?`).get(id) as Row | undefined;
    return row && toInfo(row);
  }

  /** Snapshots whose id starts with `prefix` (at most 2, enough to tell ambiguity). */
  byPrefix(prefix: string): SnapshotInfo[] {
    return (this.db.prepare(`SELECT * FROM snapshots WHERE id >= ? AND id < ? ORDER BY id LIMIT 2`).all(prefix, `${prefix}g`) as Row[]).map(toInfo);
  }

  /** The snapshot of `agent` with sequence number `seq`. */
  bySeq(agent: string, seq: number): SnapshotInfo | undefined {
    const row = this.db.prepare(`SELECT * FROM snapshots WHERE agent = ? AND seq = ? ORDER BY time_ms DESC LIMIT 1`).get(agent, seq) as Row | undefined;
    return row && toInfo(row);
  }

  /** Snapshots matching `filter`, newest first. */
  list(filter: ListFilter = {}): SnapshotInfo[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.agent !== undefined) (where.push('agent = ?'), args.push(filter.agent));
    if (filter.kind !== undefined) (where.push('kind = ?'), args.push(filter.kind));
    if (filter.tag !== undefined) (where.push(`EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)`), args.push(filter.tag));
    if (filter.sinceMs !== undefined) (where.push('time_ms >= ?'), args.push(filter.sinceMs));
    if (filter.untilMs !== undefined) (where.push('time_ms <= ?'), args.push(filter.untilMs));
    const sql = `SELECT * FROM snapshots ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ms DESC, seq DESC ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ''}`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(toInfo);
  }

  /**
   * Records a snapshot and moves its agent's head, atomically. `alongside` runs inside the
   * same transaction after the head moved (the capture's cache updates: one durable commit).
   * @throws ConflictError when the head is no longer `expectedParent`, or when the
   *   idempotency key was used for a capture with different content.
   */
  commit(rec: CommitRecord, alongside?: () => void): CommitOutcome {
    return this.db
      .transaction((): CommitOutcome => {
        if (rec.idempotencyKey !== null) {
          const prior = this.db.prepare(`SELECT * FROM snapshots WHERE agent = ? AND idempotency_key = ?`).get(rec.agent, rec.idempotencyKey) as Row | undefined;
          if (prior) {
            if (prior.sources_digest === rec.sourcesDigest) {
              alongside?.();
              return { snapshot: toInfo(prior), replayed: true };
            }
            throw new ConflictError(`idempotency key ${JSON.stringify(rec.idempotencyKey)} of agent ${rec.agent} was already used for snapshot ${prior.id.slice(0, 12)} with different content`, {
              agent: rec.agent,
              idempotencyKey: rec.idempotencyKey,
              existing: prior.id,
            });
          }
        }
        const head = this.head(rec.agent);
        if (head !== rec.expectedParent) {
          throw new ConflictError(`agent ${rec.agent} moved to ${head?.slice(0, 12) ?? 'nothing'} while this capture expected ${rec.expectedParent?.slice(0, 12) ?? 'no history'}; capture again from the new head`, {
            agent: rec.agent,
            expected: rec.expectedParent,
            actual: head,
          });
        }
        const parentSeq = rec.parent ? ((this.db.prepare(`SELECT seq FROM snapshots WHERE id = ?`).pluck().get(rec.parent) as number | undefined) ?? 0) : 0;
        this.db
          .prepare(
            `INSERT OR IGNORE INTO snapshots (id, agent, parent, seq, time_ms, kind, tags, message, bytes, sources_digest, idempotency_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(rec.id, rec.agent, rec.parent, parentSeq + 1, rec.timeMs, rec.kind, JSON.stringify(rec.tags), rec.message, rec.bytes, rec.sourcesDigest, rec.idempotencyKey);
        this.db.prepare(`INSERT INTO refs (agent, head, updated_ms) VALUES (?, ?, ?) ON CONFLICT(agent) DO UPDATE SET head = excluded.head, updated_ms = excluded.updated_ms`).run(rec.agent, rec.id, Date.now());
        alongside?.();
        return { snapshot: this.get(rec.id)!, replayed: false };
      })
      .immediate();
  }

  /**
   * Records a snapshot found in the packs (catalog rebuild): no CAS, no idempotency key.
   * Existing rows are kept.
   */
  insertRecovered(info: Omit<SnapshotInfo, 'idempotencyKey'>): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO snapshots (id, agent, parent, seq, time_ms, kind, tags, message, bytes, sources_digest, idempotency_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      )
      .run(info.id, info.agent, info.parent, info.seq, info.timeMs, info.kind, JSON.stringify(info.tags), info.message, info.bytes, info.sourcesDigest);
  }

  /** Sets an agent's head without a compare-and-swap (catalog rebuild only). */
  setHead(agent: string, head: ContentId): void {
    this.db.prepare(`INSERT INTO refs (agent, head, updated_ms) VALUES (?, ?, ?) ON CONFLICT(agent) DO UPDATE SET head = excluded.head, updated_ms = excluded.updated_ms`).run(agent, head, Date.now());
  }

  /**
   * Removes snapshots from the catalog in one transaction (their content stays in the packs
   * until garbage collection). Unknown ids are ignored. Returns how many rows went.
   * @throws ConflictError when one of them is an agent's head: the latest snapshot of an
   *   agent is never removed alone (remove the agent instead).
   */
  removeSnapshots(ids: readonly ContentId[]): number {
    return this.db
      .transaction((): number => {
        const headOf = this.db.prepare(`SELECT agent FROM refs WHERE head = ?`).pluck();
        const del = this.db.prepare(`DELETE FROM snapshots WHERE id = ?`);
        let removed = 0;
        for (const id of ids) {
          const agent = headOf.get(id) as string | undefined;
          if (agent !== undefined) {
            throw new ConflictError(`snapshot ${id.slice(0, 12)} is the latest of agent ${agent} and is never removed alone; remove the agent, or capture again first`, { snapshot: id, agent });
          }
          removed += del.run(id).changes;
        }
        return removed;
      })
      .immediate();
  }

  /**
   * Removes an agent: its snapshots, head, fields and capture cache, in one transaction.
   * Returns how many snapshots went. @throws NotFoundError when the agent has no snapshots.
   */
  removeAgent(agent: string): number {
    return this.db
      .transaction((): number => {
        const removed = this.db.prepare(`DELETE FROM snapshots WHERE agent = ?`).run(agent).changes;
        const hadHead = this.db.prepare(`DELETE FROM refs WHERE agent = ?`).run(agent).changes > 0;
        if (removed === 0 && !hadHead) throw new NotFoundError('agent', agent);
        for (const table of ['fields', 'capture_entries', 'capture_db_state']) this.db.prepare(`DELETE FROM ${table} WHERE agent = ?`).run(agent);
        return removed;
      })
      .immediate();
  }

  /** Runs `fn` in one write transaction. */
  inTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // --- key/value fields -------------------------------------------------------------

  /** Saves one field (JSON value). */
  saveField(agent: string, key: string, value: JsonValue): void {
    assertFieldKey(key);
    this.db.prepare(`INSERT INTO fields (agent, key, value, updated_ms) VALUES (?, ?, ?, ?) ON CONFLICT(agent, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`).run(agent, key, JSON.stringify(value), Date.now());
  }

  /** Replaces all of an agent's fields with `values`, atomically. */
  saveAllFields(agent: string, values: Readonly<Record<string, JsonValue>>): void {
    for (const key of Object.keys(values)) assertFieldKey(key);
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM fields WHERE agent = ?`).run(agent);
      for (const [key, value] of Object.entries(values)) this.saveField(agent, key, value);
    }).immediate();
  }

  /** One field's value. @throws NotFoundError when it does not exist. */
  loadField(agent: string, key: string): JsonValue {
    const text = this.db.prepare(`SELECT value FROM fields WHERE agent = ? AND key = ?`).pluck().get(agent, key) as string | undefined;
    if (text === undefined) throw new NotFoundError('field', key, { agent });
    return JSON.parse(text) as JsonValue;
  }

  /** All fields of an agent, by key. */
  loadAllFields(agent: string): Record<string, JsonValue> {
    const rows = this.db.prepare(`SELECT key, value FROM fields WHERE agent = ? ORDER BY key`).all(agent) as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as JsonValue]));
  }

  /** Whether a field exists. */
  fieldExists(agent: string, key: string): boolean {
    return this.db.prepare(`SELECT 1 FROM fields WHERE agent = ? AND key = ?`).get(agent, key) !== undefined;
  }

  /** Deletes a field; returns whether it existed. */
  deleteField(agent: string, key: string): boolean {
    return this.db.prepare(`DELETE FROM fields WHERE agent = ? AND key = ?`).run(agent, key).changes > 0;
  }

  // --- capture cache -----------------------------------------------------------------

  /** Every cached entry of an agent's source, by relative path (see capture-cache.ts). */
  loadCacheEntries(agent: string, source: string): Map<string, CacheRow> {
    const rows = this.db.prepare(`SELECT rel, kind, stat, value, page_size FROM capture_entries WHERE agent = ? AND source = ?`).raw().all(agent, source) as [string, string, string, string, number | null][];
    const out = new Map<string, CacheRow>();
    for (const [rel, kind, stat, value, pageSize] of rows) out.set(rel, pageSize === null ? { kind, stat, value } : { kind, stat, value, pageSize });
    return out;
  }

  /** Writes changed cache entries and removes stale ones, in one transaction. */
  updateCacheEntries(agent: string, source: string, upserts: readonly (readonly [string, CacheRow])[], deletes: readonly string[]): void {
    if (upserts.length === 0 && deletes.length === 0) return;
    const put = this.db.prepare(
      `INSERT INTO capture_entries (agent, source, rel, kind, stat, value, page_size) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(agent, source, rel) DO UPDATE SET kind = excluded.kind, stat = excluded.stat, value = excluded.value, page_size = excluded.page_size`,
    );
    const del = this.db.prepare(`DELETE FROM capture_entries WHERE agent = ? AND source = ? AND rel = ?`);
    this.db.transaction(() => {
      for (const [rel, e] of upserts) put.run(agent, source, rel, e.kind, e.stat, e.value, e.pageSize ?? null);
      for (const rel of deletes) del.run(agent, source, rel);
    }).immediate();
  }

  /** The remembered state of one database of an agent's source (see capture/database-state.ts). */
  loadDatabaseState(agent: string, source: string, rel: string): Buffer | undefined {
    return this.db.prepare(`SELECT state FROM capture_db_state WHERE agent = ? AND source = ? AND rel = ?`).pluck().get(agent, source, rel) as Buffer | undefined;
  }

  /**
   * Writes the database states that changed and drops those of databases that are gone:
   * rows neither in `changed` nor accepted by `keep` are deleted.
   */
  saveDatabaseStates(agent: string, source: string, changed: ReadonlyMap<string, Uint8Array>, keep: (rel: string) => boolean): void {
    this.db.transaction(() => {
      const rels = this.db.prepare(`SELECT rel FROM capture_db_state WHERE agent = ? AND source = ?`).pluck().all(agent, source) as string[];
      const del = this.db.prepare(`DELETE FROM capture_db_state WHERE agent = ? AND source = ? AND rel = ?`);
      for (const rel of rels) if (!changed.has(rel) && !keep(rel)) del.run(agent, source, rel);
      const put = this.db.prepare(
        `INSERT INTO capture_db_state (agent, source, rel, state) VALUES (?, ?, ?, ?) ON CONFLICT(agent, source, rel) DO UPDATE SET state = excluded.state`,
      );
      for (const [rel, state] of changed) put.run(agent, source, rel, state);
    }).immediate();
  }
}

/** Field keys: 1-200 characters, no control characters. */
export function assertFieldKey(key: string): void {
  // eslint-disable-next-line no-control-regex
  if (typeof key !== 'string' || key.length === 0 || key.length > 200 || /[\x00-\x1f]/.test(key)) {
    throw new InvalidArgumentError(`bad field key ${JSON.stringify(key)} (1-200 characters, no control characters)`);
  }
}
