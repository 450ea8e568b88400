/**
 * Databases named explicitly that live outside the agent directory. Each gets a name (its
 * file name; `-2`, `-3`… when two share one) and becomes a `sqlite` entry of a separate
 * tree recorded in the snapshot with the path it came from. They join the same cut as
 * everything else.
 */
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import { isSafeName } from '../snapshot/index.js';

/** A named external database. */
export interface NamedDatabase {
  readonly name: string;
  readonly abs: string;
}

/** Names for the given database paths (resolved), in a stable order. @throws InvalidArgumentError for duplicates. */
export function nameDatabases(paths: readonly string[]): NamedDatabase[] {
  const resolved = paths.map((p) => path.resolve(p));
  if (new Set(resolved).size !== resolved.length) throw new InvalidArgumentError('the same database is named twice');
  const used = new Set<string>();
  return [...resolved].sort().map((abs) => {
    const base = path.basename(abs).replace(/[/\0]/g, '-');
    let name = isSafeName(base) ? base : 'database';
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    return { name, abs };
  });
}

/** Whether `abs` lies inside `dir` (such databases are captured as part of the directory). */
export function isInside(dir: string, abs: string): boolean {
  const rel = path.relative(dir, abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
