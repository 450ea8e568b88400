/**
 * One collection at a time per store: a row in `maintenance_lock` of the index database,
 * taken in a write transaction. A lock whose process is gone (same host, pid not running)
 * is stale and taken over, so a collector killed with SIGKILL never blocks the next one.
 */
import * as os from 'node:os';
import type Database from 'better-sqlite3';
import { LockedError } from '../errors/index.js';
import { isLeaseLive } from '../cas/index.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS maintenance_lock (name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started_ms INTEGER NOT NULL)`;

/** A held lock; `release` it when done. */
export interface MaintenanceLock {
  release(): void;
}

/**
 * Takes the store's maintenance lock named `name` (default `gc`).
 * @throws LockedError when a live process holds it.
 */
export function acquireMaintenanceLock(db: Database.Database, name = 'gc'): MaintenanceLock {
  db.exec(SCHEMA);
  const token = { host: os.hostname(), pid: process.pid, startedMs: Date.now() };
  db.transaction(() => {
    const held = db.prepare(`SELECT host, pid, started_ms AS startedMs FROM maintenance_lock WHERE name = ?`).get(name) as { host: string; pid: number; startedMs: number } | undefined;
    if (held && isLeaseLive({ writerId: name, epoch: 0, ...held })) {
      throw new LockedError(`maintenance lock "${name}" (held by pid ${held.pid} on ${held.host} since ${new Date(held.startedMs).toISOString()})`, 0);
    }
    db.prepare(`INSERT INTO maintenance_lock (name, host, pid, started_ms) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_ms = excluded.started_ms`).run(
      name,
      token.host,
      token.pid,
      token.startedMs,
    );
  }).immediate();
  return {
    release(): void {
      if (db.open) db.prepare(`DELETE FROM maintenance_lock WHERE name = ? AND pid = ? AND started_ms = ?`).run(name, token.pid, token.startedMs);
    },
  };
}
