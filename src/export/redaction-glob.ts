/**
 * Path globs of redaction rules: the glob language of src/snapshot/path-glob.ts, with errors
 * that name the rule key (e.g. `dropPaths[2]`).
 */
import { InvalidArgumentError } from '../errors/index.js';
import { compilePathGlob, type PathGlob } from '../snapshot/index.js';

/** A compiled redaction glob. */
export type RedactionGlob = PathGlob;

/**
 * Compiles `pattern`; `where` names the rule key for error messages.
 * @throws InvalidArgumentError for an empty pattern, an unclosed or empty class, a NUL, or `..` segments.
 */
export function compileRedactionGlob(pattern: string, where: string): RedactionGlob {
  return compilePathGlob(pattern, (why) => new InvalidArgumentError(`redaction rules: ${where} ${JSON.stringify(pattern)} is not a valid glob (${why})`, { key: where, pattern }));
}
