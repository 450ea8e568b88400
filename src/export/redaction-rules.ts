/**
 * Redaction rules (version 1): the JSON rules file, its strict validation, its canonical
 * form and its hash. Format and meaning in docs/FORMAT.md, "Redaction rules (version 1)".
 *
 * Parsing is strict: an unknown key, a wrong type, a bad glob or regex, or an unknown
 * version is an `InvalidArgumentError` whose message names the exact key (for example
 * `databases[0].columns[1].action`). Parsed rules are normalized (defaults filled in, sets
 * sorted and deduplicated), so the rules hash depends on what the rules mean, not on
 * whitespace, key order or the order of path and key lists. `maskPatterns` (applied one
 * after another) and `databases` with their lists keep their order, so that an error about
 * `databases[0].columns[1]` names the entry as written.
 */
import { InvalidArgumentError, UnsupportedVersionError } from '../errors/index.js';
import { hashContent, type ContentId } from '../hash/index.js';
import { canonicalBytes, type CanonicalValue } from '../snapshot/index.js';
import { compileRedactionGlob } from './redaction-glob.js';

/** The only rules version this build reads and writes. */
export const REDACTION_RULES_VERSION = 1;
/** What masked text is replaced with when the rules name no `marker`. */
export const DEFAULT_MASK_MARKER = '[REDACTED]';

/** What a column rule does to every value of the column: set it NULL, or mask it (see {@link DatabaseRule}). */
export type ColumnAction = 'null' | 'mask';

/** One column of one table. */
export interface ColumnRule {
  readonly table: string;
  readonly column: string;
  readonly action: ColumnAction;
}

/**
 * Rules for the databases whose path matches `path`. `dropTables` drops tables (with their
 * indexes and triggers). Column `mask` replaces TEXT values with the marker, BLOB values
 * with a zero-length blob, INTEGER and REAL values with 0, and leaves NULL alone; `null`
 * sets every value to NULL (refused for a NOT NULL column). Table and column names compare
 * case-insensitively, as SQLite's do. A table or column named here that no matched database
 * has is an error (a typo would otherwise leave the data in place).
 */
export interface DatabaseRule {
  readonly path: string;
  readonly dropTables: readonly string[];
  readonly columns: readonly ColumnRule[];
}

/** Where `maskPatterns` apply. Glob lists default to `["**"]` (everything); flags to true. */
export interface PatternTargets {
  /** Regular files (not databases) whose path matches one of these globs. */
  readonly files: readonly string[];
  /** TEXT values of every column of every table of databases matching these globs. */
  readonly databases: readonly string[];
  /** Symlink targets. */
  readonly symlinks: boolean;
  /** String values (at any depth) of runtime state (`sources.state`). */
  readonly state: boolean;
  /** String values (at any depth) of key/value fields (`sources.fields`). */
  readonly fields: boolean;
  /** The snapshot message. */
  readonly message: boolean;
}

/** What to do with git repositories (`.git` entries at any depth) and the recorded git state. */
export type GitPolicy = 'drop' | 'refuse' | 'keep';

/** Parsed, validated and normalized redaction rules. */
export interface RedactionRules {
  readonly version: 1;
  /** Globs of files, directories, symlinks and databases to leave out. */
  readonly dropPaths: readonly string[];
  readonly databases: readonly DatabaseRule[];
  /** JavaScript regular expressions (compiled with flags `gu`); every match is replaced by `marker`. */
  readonly maskPatterns: readonly string[];
  readonly applyPatternsTo: PatternTargets;
  /** `/`-separated key paths into `sources.state`; the first segment is the provider name, `*` matches any one key. */
  readonly dropStateKeys: readonly string[];
  /** The same for `sources.fields` (the first segment is the field key). */
  readonly dropFields: readonly string[];
  /** Replacement text of a mask: 1-100 printable ASCII characters. Default `[REDACTED]`. */
  readonly marker: string;
  /** Default `drop`: `.git` entries and the recorded git state are left out. */
  readonly git: GitPolicy;
}

const TOP_KEYS = ['version', 'dropPaths', 'databases', 'maskPatterns', 'applyPatternsTo', 'dropStateKeys', 'dropFields', 'marker', 'git'];
const DATABASE_KEYS = ['path', 'dropTables', 'columns'];
const COLUMN_KEYS = ['table', 'column', 'action'];
const TARGET_KEYS = ['files', 'databases', 'symlinks', 'state', 'fields', 'message'];

function fail(key: string, why: string): never {
  throw new InvalidArgumentError(`redaction rules: ${key} ${why}`, { key });
}

function asObject(value: unknown, key: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(key, `must be an object, got ${describe(value)}`);
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(key === '' ? k : `${key}.${k}`, `is not a known key (known: ${allowed.join(', ')})`);
  return o;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function stringList(value: unknown, key: string, check?: (s: string, key: string) => void): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(key, `must be an array of strings, got ${describe(value)}`);
  return value.map((v: unknown, i) => {
    const k = `${key}[${i}]`;
    if (typeof v !== 'string') fail(k, `must be a string, got ${describe(v)}`);
    if (v.length === 0) fail(k, 'must not be empty');
    check?.(v, k);
    return v;
  });
}

function sortedSet(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}

function globList(value: unknown, key: string): string[] {
  return sortedSet(stringList(value, key, (s, k) => void compileRedactionGlob(s, k)));
}

function flag(value: unknown, key: string): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') fail(key, `must be true or false, got ${describe(value)}`);
  return value;
}

function checkPattern(source: string, key: string): void {
  let re: RegExp;
  try {
    re = new RegExp(source, 'gu');
  } catch (err) {
    fail(key, `is not a valid regular expression: ${(err as Error).message}`);
  }
  // A pattern that matches nothing at all would insert the marker between every character.
  if (re.test('')) fail(key, `${JSON.stringify(source)} matches the empty string`);
}

function checkKeyPath(path: string, key: string): void {
  if (path.split('/').some((s) => s === '')) fail(key, `${JSON.stringify(path)} has an empty segment (segments are separated by one /)`);
}

function parseColumn(value: unknown, key: string): ColumnRule {
  const o = asObject(value, key, COLUMN_KEYS);
  for (const k of ['table', 'column'] as const) if (typeof o[k] !== 'string' || o[k] === '') fail(`${key}.${k}`, `must be a non-empty string, got ${describe(o[k])}`);
  if (o['action'] !== 'null' && o['action'] !== 'mask') fail(`${key}.action`, `must be "null" or "mask", got ${JSON.stringify(o['action'])}`);
  return { table: o['table'] as string, column: o['column'] as string, action: o['action'] };
}

function parseDatabase(value: unknown, key: string): DatabaseRule {
  const o = asObject(value, key, DATABASE_KEYS);
  if (typeof o['path'] !== 'string') fail(`${key}.path`, `must be a glob string, got ${describe(o['path'])}`);
  compileRedactionGlob(o['path'], `${key}.path`);
  const dropTables = stringList(o['dropTables'], `${key}.dropTables`);
  for (const [i, t] of dropTables.entries()) if (dropTables.findIndex((x) => x.toLowerCase() === t.toLowerCase()) !== i) fail(`${key}.dropTables[${i}]`, `names table ${t} a second time`);
  if (o['columns'] !== undefined && !Array.isArray(o['columns'])) fail(`${key}.columns`, `must be an array, got ${describe(o['columns'])}`);
  const columns = ((o['columns'] as unknown[] | undefined) ?? []).map((c, i) => parseColumn(c, `${key}.columns[${i}]`));
  const seen = new Map<string, ColumnAction>();
  for (const [i, c] of columns.entries()) {
    const id = `${c.table.toLowerCase()}\0${c.column.toLowerCase()}`;
    if (seen.has(id)) fail(`${key}.columns[${i}]`, `names ${c.table}.${c.column} a second time`);
    seen.set(id, c.action);
    if (dropTables.some((t) => t.toLowerCase() === c.table.toLowerCase())) fail(`${key}.columns[${i}]`, `names a column of ${c.table}, which dropTables drops`);
  }
  if (dropTables.length === 0 && columns.length === 0) fail(key, 'has neither dropTables nor columns');
  return { path: o['path'], dropTables, columns };
}

/**
 * Parses and validates a rules file's text, or an already parsed JSON value.
 * @throws InvalidArgumentError naming the offending key; UnsupportedVersionError for a version other than 1.
 */
export function parseRedactionRules(input: string | unknown): RedactionRules {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new InvalidArgumentError(`redaction rules are not valid JSON: ${(err as Error).message}`, { key: '' });
    }
  }
  const o = asObject(value, '', TOP_KEYS);
  if (o['version'] === undefined) fail('version', 'is missing (write "version": 1)');
  if (typeof o['version'] !== 'number') fail('version', `must be a number, got ${describe(o['version'])}`);
  if (o['version'] !== REDACTION_RULES_VERSION) throw new UnsupportedVersionError('redaction rules', o['version'], REDACTION_RULES_VERSION);
  if (o['databases'] !== undefined && !Array.isArray(o['databases'])) fail('databases', `must be an array, got ${describe(o['databases'])}`);
  const databases = ((o['databases'] as unknown[] | undefined) ?? []).map((d, i) => parseDatabase(d, `databases[${i}]`));
  const maskPatterns = stringList(o['maskPatterns'], 'maskPatterns', checkPattern);
  const t = o['applyPatternsTo'] === undefined ? {} : asObject(o['applyPatternsTo'], 'applyPatternsTo', TARGET_KEYS);
  const applyPatternsTo: PatternTargets = {
    files: t['files'] === undefined ? ['**'] : globList(t['files'], 'applyPatternsTo.files'),
    databases: t['databases'] === undefined ? ['**'] : globList(t['databases'], 'applyPatternsTo.databases'),
    symlinks: flag(t['symlinks'], 'applyPatternsTo.symlinks'),
    state: flag(t['state'], 'applyPatternsTo.state'),
    fields: flag(t['fields'], 'applyPatternsTo.fields'),
    message: flag(t['message'], 'applyPatternsTo.message'),
  };
  const marker = o['marker'] === undefined ? DEFAULT_MASK_MARKER : o['marker'];
  // Printable ASCII: the same bytes in UTF-8 and Latin-1 (binary files are masked byte-wise).
  if (typeof marker !== 'string' || !/^[\x20-\x7e]{1,100}$/.test(marker)) fail('marker', `must be 1-100 printable ASCII characters, got ${JSON.stringify(marker)}`);
  const git = o['git'] === undefined ? 'drop' : o['git'];
  if (git !== 'drop' && git !== 'refuse' && git !== 'keep') fail('git', `must be "drop", "refuse" or "keep", got ${JSON.stringify(git)}`);
  return {
    version: 1,
    dropPaths: globList(o['dropPaths'], 'dropPaths'),
    databases,
    maskPatterns,
    applyPatternsTo,
    dropStateKeys: sortedSet(stringList(o['dropStateKeys'], 'dropStateKeys', checkKeyPath)),
    dropFields: sortedSet(stringList(o['dropFields'], 'dropFields', checkKeyPath)),
    marker,
    git,
  };
}

/** The canonical JSON value of parsed rules (every member present, defaults filled in). */
export function canonicalRules(rules: RedactionRules): CanonicalValue {
  return {
    version: rules.version,
    dropPaths: [...rules.dropPaths],
    databases: rules.databases.map((d) => ({ path: d.path, dropTables: [...d.dropTables], columns: d.columns.map((c) => ({ table: c.table, column: c.column, action: c.action })) })),
    maskPatterns: [...rules.maskPatterns],
    applyPatternsTo: { ...rules.applyPatternsTo, files: [...rules.applyPatternsTo.files], databases: [...rules.applyPatternsTo.databases] },
    dropStateKeys: [...rules.dropStateKeys],
    dropFields: [...rules.dropFields],
    marker: rules.marker,
    git: rules.git,
  };
}

/** The rules hash recorded in a redacted snapshot: BLAKE3 of {@link canonicalRules}'s canonical bytes. */
export function redactionRulesHash(rules: RedactionRules): ContentId {
  return hashContent(canonicalBytes(canonicalRules(rules)));
}
