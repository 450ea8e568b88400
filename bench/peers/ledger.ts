/**
 * The concurrent-writer ledger: the schema of test/capture/fixtures/ledger-writer.ts
 * (which the bench runs as the writer process), made larger with incompressible padding
 * rows so a copy takes a while, and its invariants, checked on a restored copy.
 */
import Database from 'better-sqlite3';
import { settleDatabase } from './restore-verify.js';

/** Accounts of the ledger (must match the writer fixture). */
export const LEDGER_ACCOUNTS = 50;

/** Creates a WAL-mode ledger at `file` with `paddingRows` rows of 3,000 random bytes. */
export function createLedger(file: string, paddingRows: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
    CREATE TABLE transfers (id INTEGER PRIMARY KEY, src INTEGER NOT NULL, dst INTEGER NOT NULL, amount INTEGER NOT NULL);
    CREATE TABLE meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
    CREATE TABLE padding (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
  `);
  db.transaction(() => {
    const add = db.prepare('INSERT INTO accounts (id, balance) VALUES (?, 1000)');
    for (let i = 1; i <= LEDGER_ACCOUNTS; i++) add.run(i);
    const pad = db.prepare('INSERT INTO padding (data) VALUES (randomblob(3000))');
    for (let i = 0; i < paddingRows; i++) pad.run();
    db.prepare(`INSERT INTO meta VALUES ('transfers', 0), ('moved', 0), ('padding', ?)`).run(paddingRows);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Outcome of checking one restored ledger. */
export interface LedgerCheck {
  readonly ok: boolean;
  /** Committed transfers the restored ledger holds (NaN when unreadable). */
  readonly transfers: number;
  /** Empty when ok: the first failed check. */
  readonly problem: string;
}

/** Opens a restored ledger (replaying its WAL, as an application would) and checks integrity and invariants. */
export function checkLedger(file: string): LedgerCheck {
  const opened = settleDatabase(file);
  if (opened) return { ok: false, transfers: NaN, problem: `open: ${opened}` };
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    if (integrity !== 'ok') return { ok: false, transfers: NaN, problem: `integrity_check: ${integrity.slice(0, 200)}` };
    const meta = Object.fromEntries((db.prepare('SELECT k, v FROM meta').raw().all() as [string, number][]).map(([k, v]) => [k, v]));
    const transfers = meta['transfers'] ?? NaN;
    const q = (sql: string): number => db!.prepare(sql).pluck().get() as number;
    const checks: [string, number, number][] = [
      ['sum(balance)', q('SELECT sum(balance) FROM accounts'), LEDGER_ACCOUNTS * 1000],
      ['count(transfers)', q('SELECT count(*) FROM transfers'), transfers],
      ['sum(amount)', q('SELECT coalesce(sum(amount), 0) FROM transfers'), meta['moved'] ?? NaN],
      ['count(padding)', q('SELECT count(*) FROM padding'), meta['padding'] ?? NaN],
    ];
    const bad = checks.find(([, got, want]) => got !== want);
    return { ok: !bad, transfers, problem: bad ? `${bad[0]} = ${bad[1]}, expected ${bad[2]}` : '' };
  } catch (err) {
    return { ok: false, transfers: NaN, problem: (err as Error).message.slice(0, 200) };
  } finally {
    db?.close();
  }
}
