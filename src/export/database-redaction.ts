/**
 * Redacting one SQLite database image, entirely in memory (nothing of it touches the disk).
 *
 * The image is opened from its bytes (better-sqlite3 deserialize), tables are dropped,
 * columns nulled or masked, and pattern matches in TEXT values masked (through a JS function
 * registered with SQLite), with triggers set aside meanwhile (one copying OLD values into an
 * audit table would otherwise carry what is being removed) and foreign keys off. Then, with `secure_delete` on, `VACUUM` rebuilds the whole
 * database: the result has no free pages, no freelist, no WAL, and every unused byte of
 * every page is zero, so no deleted row, dropped table or old value survives anywhere in
 * the image, including rows deleted before the capture. The result must pass
 * `PRAGMA integrity_check`. Same input and rules give the same bytes.
 *
 * Refused with `InvalidArgumentError` (nothing is written): nulling a NOT NULL column,
 * masking that breaks a UNIQUE or CHECK constraint, a column rule on a generated column,
 * a pattern match in the schema (names, view or trigger text, defaults) that dropping did
 * not remove, and masking a database that keeps a virtual table (an FTS index keeps its text in shadow
 * tables in its own encoding, which masking cannot reach): drop such tables instead.
 */
import Database from 'better-sqlite3';
import { InvalidArgumentError } from '../errors/index.js';
import type { ColumnRule } from './redaction-rules.js';
import type { TextMasker } from './text-masker.js';

/** What to do to one database: the merged rules of every database rule matching its path. */
export interface DatabaseRedaction {
  /** Table names, compared case-insensitively. */
  readonly dropTables: readonly string[];
  readonly columns: readonly ColumnRule[];
  /** What a masked TEXT value becomes. */
  readonly marker: string;
  /** Masks TEXT values of every column when patterns apply to this database. */
  readonly masker?: TextMasker;
}

/** The redacted image and what was done. */
export interface DatabaseRedactionResult {
  readonly image: Buffer;
  readonly pageSize: number;
  /** Tables dropped, by their name in the database. */
  readonly tablesDropped: string[];
  /** `table.column` nulled / masked by column rules. */
  readonly columnsNulled: string[];
  readonly columnsMasked: string[];
  /** Pattern matches replaced in TEXT values. */
  readonly matches: number;
  /** Lowercased rule table names that existed (dropTables and column tables). */
  readonly tablesFound: Set<string>;
  /** Lowercased `table\0column` of column rules that existed. */
  readonly columnsFound: Set<string>;
}

interface TableInfo {
  readonly name: string;
  readonly type: string;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Applies `what` to the database `image` (a whole page image as captured). `label` names the
 * database in errors. Header bytes 18/19 (WAL or rollback mode) are kept as they were.
 * @throws InvalidArgumentError as in the module comment, or when the image is not a database.
 */
export function redactDatabaseImage(image: Uint8Array, what: DatabaseRedaction, label: string): DatabaseRedactionResult {
  const input = Buffer.from(image); // a copy: the header is changed below
  if (input.length < 100) throw new InvalidArgumentError(`database ${label}: image of ${input.length} bytes is too short to redact`, { path: label });
  const [write, read] = [input[18]!, input[19]!];
  // An in-memory database cannot be in WAL mode: open it as rollback, restore the bytes after.
  input[18] = 1;
  input[19] = 1;
  let db: Database.Database;
  try {
    db = new Database(input);
  } catch (err) {
    throw new InvalidArgumentError(`database ${label} cannot be opened for redaction: ${(err as Error).message}`, { path: label });
  }
  try {
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = OFF');
    db.pragma('temp_store = MEMORY');
    const result = applyRules(db, what, label);
    db.exec('VACUUM');
    const check = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    if (check !== 'ok') throw new Error(`database ${label} failed integrity_check after redaction: ${check}`);
    const free = db.pragma('freelist_count', { simple: true }) as number;
    if (free !== 0) throw new Error(`database ${label} still has ${free} free pages after VACUUM`);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const out = db.serialize();
    out[18] = write;
    out[19] = read;
    return { ...result, image: out, pageSize };
  } finally {
    db.close();
  }
}

function tables(db: Database.Database): TableInfo[] {
  return (db.pragma('table_list') as { schema: string; name: string; type: string }[])
    .filter((t) => t.schema === 'main' && !t.name.toLowerCase().startsWith('sqlite_'))
    .map((t) => ({ name: t.name, type: t.type }));
}

function applyRules(db: Database.Database, what: DatabaseRedaction, label: string): Omit<DatabaseRedactionResult, 'image' | 'pageSize'> {
  const tablesFound = new Set<string>();
  const columnsFound = new Set<string>();
  const tablesDropped: string[] = [];
  const columnsNulled: string[] = [];
  const columnsMasked: string[] = [];
  const run = (sql: string, doing: string): void => {
    try {
      db.exec(sql);
    } catch (err) {
      throw new InvalidArgumentError(`database ${label}: ${doing} failed: ${(err as Error).message}`, { path: label });
    }
  };
  for (const name of what.dropTables) {
    const t = tables(db).find((x) => x.name.toLowerCase() === name.toLowerCase() && (x.type === 'table' || x.type === 'virtual'));
    if (!t) continue;
    tablesFound.add(name.toLowerCase());
    run(`DROP TABLE ${quote(t.name)}`, `dropping table ${t.name}`);
    tablesDropped.push(t.name);
  }
  // Triggers must not run while values are rewritten: one that copies OLD values into another
  // table (an audit log) would carry the very values being removed. Set aside, put back after.
  const triggers = db.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY rowid`).all() as { name: string; sql: string }[];
  for (const t of triggers) run(`DROP TRIGGER ${quote(t.name)}`, `setting trigger ${t.name} aside`);
  const after = tables(db);
  for (const c of what.columns) {
    const t = after.find((x) => x.name.toLowerCase() === c.table.toLowerCase() && (x.type === 'table' || x.type === 'virtual'));
    if (!t) continue;
    tablesFound.add(c.table.toLowerCase());
    const col = columnsOf(db, t.name).find((x) => x.name.toLowerCase() === c.column.toLowerCase());
    if (!col) continue;
    columnsFound.add(`${c.table.toLowerCase()}\0${c.column.toLowerCase()}`);
    const where = `${t.name}.${col.name}`;
    if (t.type === 'virtual') throw new InvalidArgumentError(`database ${label}: ${where} belongs to a virtual table, whose shadow tables cannot be redacted column by column; drop the table`, { path: label, column: where });
    if (col.hidden !== 0) throw new InvalidArgumentError(`database ${label}: ${where} is a generated column; redact the columns it is computed from`, { path: label, column: where });
    const q = quote(col.name);
    if (c.action === 'null') {
      run(`UPDATE ${quote(t.name)} SET ${q} = NULL WHERE ${q} IS NOT NULL`, `nulling ${where} (use "mask" for a NOT NULL column)`);
      columnsNulled.push(where);
    } else {
      const marker = `'${what.marker.replace(/'/g, "''")}'`;
      run(`UPDATE ${quote(t.name)} SET ${q} = CASE typeof(${q}) WHEN 'text' THEN ${marker} WHEN 'blob' THEN X'' WHEN 'integer' THEN 0 WHEN 'real' THEN 0.0 ELSE ${q} END WHERE ${q} IS NOT NULL`, `masking ${where}`);
      columnsMasked.push(where);
    }
  }
  if (what.masker?.active) assertSchemaClean(db, what.masker, label);
  const matches = what.masker?.active ? maskPatterns(db, what.masker, label, run) : 0;
  for (const t of triggers) run(t.sql, `restoring trigger ${t.name}`);
  // ANALYZE's stat3/stat4 tables keep sample index keys (copies of column values).
  for (const stat of ['sqlite_stat3', 'sqlite_stat4']) {
    if (db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(stat)) run(`DELETE FROM ${stat}`, `clearing ${stat}`);
  }
  return { tablesDropped, columnsNulled, columnsMasked, matches, tablesFound, columnsFound };
}

/** The schema (names, view and trigger bodies, defaults) cannot be masked without breaking the database: a match in it is refused. */
function assertSchemaClean(db: Database.Database, masker: TextMasker, label: string): void {
  const rows = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema`).all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  for (const r of rows) {
    if (masker.test(r.name) || (r.sql !== null && masker.test(r.sql))) {
      throw new InvalidArgumentError(`database ${label}: the schema of ${r.type} ${r.name} holds a match of maskPatterns, and a schema cannot be masked; ${r.type === 'table' ? 'drop the table with dropTables' : r.type === 'index' || r.type === 'trigger' ? `drop its table ${r.tbl_name} with dropTables` : `remove the ${r.type} at the source`}, or leave this database out of applyPatternsTo.databases`, { path: label, [r.type]: r.name });
    }
  }
}

function columnsOf(db: Database.Database, table: string): { name: string; hidden: number }[] {
  return db.pragma(`table_xinfo(${quote(table)})`) as { name: string; hidden: number }[];
}

/** Masks every TEXT value of every ordinary column of every table; returns the matches replaced. */
function maskPatterns(db: Database.Database, masker: TextMasker, label: string, run: (sql: string, doing: string) => void): number {
  let matches = 0;
  db.function('memsnap_redact_test', { deterministic: true }, (v: unknown) => (typeof v === 'string' && masker.test(v) ? 1 : 0));
  db.function('memsnap_redact_mask', { deterministic: true }, (v: unknown) => {
    if (typeof v !== 'string') return v;
    const m = masker.maskString(v);
    matches += m.matches;
    return m.value;
  });
  for (const t of tables(db)) {
    if (t.type === 'virtual') {
      throw new InvalidArgumentError(`database ${label}: virtual table ${t.name} cannot be masked (its shadow tables keep the text in their own encoding); drop it with dropTables or leave this database out of applyPatternsTo.databases`, { path: label, table: t.name });
    }
    if (t.type !== 'table') continue;
    for (const col of columnsOf(db, t.name)) {
      if (col.hidden !== 0) continue; // generated columns follow the columns they are computed from
      const q = quote(col.name);
      run(`UPDATE ${quote(t.name)} SET ${q} = memsnap_redact_mask(${q}) WHERE typeof(${q}) = 'text' AND memsnap_redact_test(${q})`, `masking patterns in ${t.name}.${col.name}`);
    }
  }
  return matches;
}
