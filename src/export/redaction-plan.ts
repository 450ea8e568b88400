/**
 * Parsed rules compiled for one redaction run: globs compiled, patterns compiled, database
 * rules merged per database, and a record of which table and column rules found something.
 *
 * A table or column that a rule names but that no database the rule matched holds is an
 * error at the end of the run ({@link RedactionPlan.assertRulesMatched}): a misspelt name
 * would otherwise leave the data it meant to remove in place. A database rule whose path
 * matched no database is only a warning (one rules file serves many snapshots).
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { DatabaseRedaction, DatabaseRedactionResult } from './database-redaction.js';
import { compileRedactionGlob, type RedactionGlob } from './redaction-glob.js';
import type { ColumnRule, RedactionRules } from './redaction-rules.js';
import { TextMasker } from './text-masker.js';

/** Name of the git metadata entry (a directory, or a file in linked work trees and submodules). */
export const GIT_ENTRY = '.git';

interface DatabaseRuleState {
  readonly glob: RedactionGlob;
  pathMatched: boolean;
  readonly tablesFound: Set<string>;
  readonly columnsFound: Set<string>;
}

/** The compiled form of {@link RedactionRules}. */
export class RedactionPlan {
  readonly masker: TextMasker;
  private readonly dropGlobs: readonly RedactionGlob[];
  private readonly fileGlobs: readonly RedactionGlob[];
  private readonly databasePatternGlobs: readonly RedactionGlob[];
  private readonly databaseRules: readonly DatabaseRuleState[];

  constructor(readonly rules: RedactionRules) {
    this.masker = new TextMasker(rules.maskPatterns, rules.marker);
    this.dropGlobs = rules.dropPaths.map((p, i) => compileRedactionGlob(p, `dropPaths[${i}]`));
    this.fileGlobs = rules.applyPatternsTo.files.map((p, i) => compileRedactionGlob(p, `applyPatternsTo.files[${i}]`));
    this.databasePatternGlobs = rules.applyPatternsTo.databases.map((p, i) => compileRedactionGlob(p, `applyPatternsTo.databases[${i}]`));
    this.databaseRules = rules.databases.map((d, i) => ({ glob: compileRedactionGlob(d.path, `databases[${i}].path`), pathMatched: false, tablesFound: new Set(), columnsFound: new Set() }));
  }

  /** Whether the entry at `relPath` (and everything below it) is left out. */
  dropsPath(relPath: string): boolean {
    return this.dropGlobs.some((g) => g.matches(relPath));
  }

  /** Whether patterns are masked in the regular file at `relPath`. */
  masksFile(relPath: string): boolean {
    return this.masker.active && this.fileGlobs.some((g) => g.matches(relPath));
  }

  /** Whether patterns are masked in symlink targets. */
  get masksSymlinks(): boolean {
    return this.masker.active && this.rules.applyPatternsTo.symlinks;
  }

  /** The masker for a JSON record or the message when patterns apply to it, else undefined. */
  maskerFor(what: 'state' | 'fields' | 'message'): TextMasker | undefined {
    return this.masker.active && this.rules.applyPatternsTo[what] ? this.masker : undefined;
  }

  /**
   * What to do to the database at `relPath`, or undefined when no rule touches it (then its
   * image is copied unchanged). Marks the matching database rules as used.
   */
  databaseFor(relPath: string): DatabaseRedaction | undefined {
    const dropTables = new Set<string>();
    const columns = new Map<string, ColumnRule>();
    let matched = false;
    for (const [i, state] of this.databaseRules.entries()) {
      if (!state.glob.matches(relPath)) continue;
      matched = true;
      state.pathMatched = true;
      const rule = this.rules.databases[i]!;
      for (const t of rule.dropTables) dropTables.add(t);
      for (const c of rule.columns) {
        const key = `${c.table.toLowerCase()}\0${c.column.toLowerCase()}`;
        // Two rules on one column: nulling is the stronger of the two.
        if (!columns.has(key) || c.action === 'null') columns.set(key, c);
      }
    }
    const masks = this.masker.active && this.databasePatternGlobs.some((g) => g.matches(relPath));
    if (!matched && !masks) return undefined;
    return { dropTables: [...dropTables], columns: [...columns.values()], marker: this.rules.marker, ...(masks ? { masker: this.masker } : {}) };
  }

  /** Records what a database redaction found, for {@link assertRulesMatched}. */
  noteDatabase(relPath: string, result: Pick<DatabaseRedactionResult, 'tablesFound' | 'columnsFound'>): void {
    for (const state of this.databaseRules) {
      if (!state.glob.matches(relPath)) continue;
      for (const t of result.tablesFound) state.tablesFound.add(t);
      for (const c of result.columnsFound) state.columnsFound.add(c);
    }
  }

  /**
   * Throws for the first table or column rule that found nothing in any database its rule
   * matched; returns warnings for database rules that matched no database.
   * @throws InvalidArgumentError naming the rule's key, e.g. `databases[0].columns[1]`.
   */
  assertRulesMatched(): string[] {
    const warnings: string[] = [];
    for (const [i, state] of this.databaseRules.entries()) {
      const rule = this.rules.databases[i]!;
      if (!state.pathMatched) {
        warnings.push(`redaction rule databases[${i}] (path ${JSON.stringify(rule.path)}) matched no database in this snapshot`);
        continue;
      }
      for (const [j, t] of rule.dropTables.entries()) {
        if (!state.tablesFound.has(t.toLowerCase())) throw new InvalidArgumentError(`redaction rules: databases[${i}].dropTables[${j}] names table ${JSON.stringify(t)}, which no database matching ${JSON.stringify(rule.path)} has`, { key: `databases[${i}].dropTables[${j}]` });
      }
      for (const [j, c] of rule.columns.entries()) {
        if (!state.columnsFound.has(`${c.table.toLowerCase()}\0${c.column.toLowerCase()}`)) {
          throw new InvalidArgumentError(`redaction rules: databases[${i}].columns[${j}] names column ${c.table}.${c.column}, which no database matching ${JSON.stringify(rule.path)} has`, { key: `databases[${i}].columns[${j}]` });
        }
      }
    }
    return warnings;
  }
}
