/**
 * Checks a restored agent directory against its source: the same paths, file bytes,
 * modes and symlink targets, empty directories included. The database is compared as a
 * database (the snapshot holds a consistent image, not the raw file): `PRAGMA
 * integrity_check` on the restored copy and equal row counts per table. The source's
 * `-wal`/`-shm`/`-journal` files are skipped (a restored database is self-contained).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';

/** Outcome of {@link checkRestore}; `problems` is empty when the restore is exact. */
export interface RestoreCheck {
  readonly files: number;
  /** Bytes of files compared (the database not included). */
  readonly bytes: number;
  /** Files whose mtime differs at all (reported, not a failure: content is what must match). */
  readonly mtimeDiffers: number;
  /** Largest mtime difference seen, in ns. */
  readonly mtimeMaxDiffNs: number;
  readonly integrity: string;
  readonly rowCounts: Record<string, number>;
  readonly problems: string[];
}

/** Compares `restored` with `source`; `database` is the database's path relative to both. */
export function checkRestore(source: string, restored: string, database: string, tables: readonly string[]): RestoreCheck {
  const problems: string[] = [];
  const skip = new Set(['', '-wal', '-shm', '-journal'].map((s) => database + s));
  const a = listTree(source, skip);
  const b = listTree(restored, new Set([database]));
  let files = 0;
  let bytes = 0;
  let mtimeDiffers = 0;
  let mtimeMaxDiffNs = 0n;
  for (const rel of new Set([...a.keys(), ...b.keys()])) {
    const sa = a.get(rel);
    const sb = b.get(rel);
    if (!sa || !sb) {
      problems.push(`${rel}: ${sa ? 'missing from restore' : 'extra in restore'}`);
      continue;
    }
    if (sa.mode !== sb.mode) problems.push(`${rel}: mode ${sa.mode.toString(8)} != ${sb.mode.toString(8)}`);
    if (sa.isSymbolicLink()) {
      if (fs.readlinkSync(path.join(source, rel)) !== fs.readlinkSync(path.join(restored, rel))) problems.push(`${rel}: symlink target differs`);
    } else if (sa.isFile()) {
      files++;
      const da = fs.readFileSync(path.join(source, rel));
      const db = fs.readFileSync(path.join(restored, rel));
      bytes += da.length;
      if (!da.equals(db)) problems.push(`${rel}: content differs`);
      const d = sa.mtimeNs > sb.mtimeNs ? sa.mtimeNs - sb.mtimeNs : sb.mtimeNs - sa.mtimeNs;
      if (d > 0n) mtimeDiffers++;
      if (d > mtimeMaxDiffNs) mtimeMaxDiffNs = d;
    }
  }
  const srcDb = new Database(path.join(source, database), { readonly: true, fileMustExist: true });
  const dstDb = new Database(path.join(restored, database), { readonly: true, fileMustExist: true });
  const rowCounts: Record<string, number> = {};
  let integrity = '';
  try {
    integrity = (dstDb.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
    for (const t of tables) {
      const count = (db: Database.Database): number => (db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n;
      rowCounts[t] = count(dstDb);
      if (rowCounts[t] !== count(srcDb)) problems.push(`table ${t}: ${rowCounts[t]} rows restored, ${count(srcDb)} in source`);
    }
  } finally {
    srcDb.close();
    dstDb.close();
  }
  return { files, bytes, mtimeDiffers, mtimeMaxDiffNs: Number(mtimeMaxDiffNs), integrity, rowCounts, problems };
}

function listTree(root: string, skip: ReadonlySet<string>): Map<string, fs.BigIntStats> {
  const out = new Map<string, fs.BigIntStats>();
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      const abs = path.join(dir, name);
      const rel = path.relative(root, abs);
      if (skip.has(rel)) continue;
      const st = fs.lstatSync(abs, { bigint: true });
      out.set(rel, st);
      if (st.isDirectory()) walk(abs);
    }
  };
  walk(root);
  return out;
}
