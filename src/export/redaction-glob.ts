/**
 * Path globs of redaction rules, matched against `/`-separated paths relative to the agent
 * directory (external databases: their origin path without the leading `/`).
 *
 * Same language as capture's include/exclude globs (`src/capture/glob.ts`, which `export`
 * may not import): `*` within a segment, `**` across segments, `?` one character, `[abc]`
 * a class (`[!abc]` negated). A pattern without `/` matches the last segment at any depth;
 * a match of a directory covers everything below it. Kept separate so the rules parser can
 * refuse bad patterns with the rule's own key in the message; a candidate to move down into
 * `snapshot` and share.
 */
import { InvalidArgumentError } from '../errors/index.js';

/** A compiled redaction glob. */
export interface RedactionGlob {
  readonly pattern: string;
  /** Whether `relPath` (or a directory above it) matches. */
  matches(relPath: string): boolean;
}

/**
 * Compiles `pattern`; `where` names the rule key for error messages (e.g. `dropPaths[2]`).
 * @throws InvalidArgumentError for an empty pattern, an unclosed or empty class, a NUL, or `..` segments.
 */
export function compileRedactionGlob(pattern: string, where: string): RedactionGlob {
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`redaction rules: ${where} ${JSON.stringify(pattern)} is not a valid glob (${why})`, { key: where, pattern });
  };
  if (pattern.length === 0) bad('empty');
  if (pattern.includes('\0')) bad('contains NUL');
  const body = pattern.replace(/^\/+/, '');
  if (body.length === 0) bad('matches nothing but the root');
  if (body.split('/').some((s) => s === '..' || s === '.')) bad('. and .. segments never occur in snapshot paths');
  const anchored = pattern.includes('/');
  let re = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '*' && body[i + 1] === '*') {
      const slash = body[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = body.indexOf(']', i + 1);
      if (end < 0) bad('unclosed [');
      const raw = body.slice(i + 1, end);
      if (raw === '' || raw === '!') bad('empty [] class');
      const cls = raw.replace(/^!/, '^').replace(/\\/g, '\\\\');
      re += `[${cls}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  let regex: RegExp;
  try {
    regex = new RegExp(anchored ? `^${re}(?:/.*)?$` : `(?:^|/)${re}(?:/.*)?$`, 's');
  } catch (err) {
    return bad((err as Error).message);
  }
  return { pattern, matches: (relPath) => regex.test(relPath) };
}
