/**
 * Path globs over snapshot paths: `/`-separated, relative to the agent directory. The one
 * glob language of capture's include/exclude, restore's keep and redaction rules.
 *
 * `*` matches within a segment, `**` across segments, `?` one character, `[abc]` a class
 * (`[!abc]` negated). A pattern without `/` matches the last segment at any depth (like
 * .gitignore), so `*.tmp` matches temp files everywhere; a match of a directory covers
 * everything below it. Names may hold any character but `/` and NUL, newlines included.
 */
import { InvalidArgumentError } from '../errors/index.js';

/** A compiled glob. */
export interface PathGlob {
  readonly pattern: string;
  /** Whether `relPath` (or a directory above it) matches. */
  matches(relPath: string): boolean;
}

/**
 * Compiles a glob. `refuse(why)` builds the error for a bad pattern (default: names the
 * pattern), so callers can name their own rule key.
 * @throws InvalidArgumentError for an empty pattern, a NUL, `.`/`..` segments (never in
 *   snapshot paths), an unclosed or empty class, or the root alone.
 */
export function compilePathGlob(pattern: string, refuse: (why: string) => InvalidArgumentError = (why) => new InvalidArgumentError(`bad glob ${JSON.stringify(pattern)} (${why})`, { pattern })): PathGlob {
  const bad = (why: string): never => {
    throw refuse(why);
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
      re += `[${raw.replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  let regex: RegExp;
  try {
    // `s`: names may hold newlines, and `.*` must cross them.
    regex = new RegExp(anchored ? `^${re}(?:/.*)?$` : `(?:^|/)${re}(?:/.*)?$`, 's');
  } catch (err) {
    return bad((err as Error).message);
  }
  return { pattern, matches: (relPath) => regex.test(relPath) };
}
