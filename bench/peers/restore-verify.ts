/**
 * Checks a tool's restore of the agent against the live agent: every file byte for byte
 * (bench/workload/restore-check.ts) and the database as a database. Peers restore the raw
 * `memory.db` with its `-wal` and `-shm`; the database is first opened read-write once,
 * as the agent would on restart (SQLite replays the WAL and, on the last close,
 * checkpoints it and removes both side files), then `PRAGMA integrity_check` and row
 * counts are compared, and the logical images (serialized through SQLite) of source and
 * restore are compared byte for byte.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { databaseImage } from '../workload/change-meter.js';
import { checkRestore, type RestoreCheck } from '../workload/restore-check.js';

/** What a restore check found. */
export interface PeerRestoreCheck extends RestoreCheck {
  /** Which database side files the restore brought back (before they were settled). */
  readonly sideFiles: string[];
  /** Whether the logical database image equals the source's byte for byte. */
  readonly imageEqual: boolean;
}

/** Opens `file` read-write once and closes it: WAL replayed and checkpointed. Returns an error text or ''. */
export function settleDatabase(file: string): string {
  try {
    const db = new Database(file, { fileMustExist: true, timeout: 10_000 });
    // Reading opens the WAL (replaying it); the checkpoint folds it in, the close removes -wal and -shm.
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

/** Compares `restored` with the live agent directory `source`; `database` is relative to both. */
export function verifyAgentRestore(source: string, restored: string, database: string, tables: readonly string[]): PeerRestoreCheck {
  const dbFile = path.join(restored, database);
  const sideFiles = ['-wal', '-shm', '-journal'].filter((s) => fs.existsSync(dbFile + s)).map((s) => database + s);
  const opened = settleDatabase(dbFile);
  let check: RestoreCheck;
  try {
    check = checkRestore(source, restored, database, tables);
  } catch (err) {
    check = { files: 0, bytes: 0, mtimeDiffers: 0, mtimeMaxDiffNs: 0, integrity: 'unreadable', rowCounts: {}, problems: [(err as Error).message] };
  }
  let imageEqual = false;
  try {
    imageEqual = digest(databaseImage(path.join(source, database))) === digest(databaseImage(dbFile));
  } catch {
    imageEqual = false;
  }
  return { ...check, problems: [...(opened ? [`open: ${opened}`] : []), ...check.problems], sideFiles, imageEqual };
}

function digest(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
