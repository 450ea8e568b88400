/**
 * Glob patterns for include/exclude rules, matched against `/`-separated paths relative
 * to the agent directory. `*` matches within a segment, `**` across segments, `?` one
 * character, `[abc]` a class. A pattern without `/` matches the last segment at any
 * depth (like .gitignore), so `*.tmp` excludes temp files everywhere.
 */
import { InvalidArgumentError } from '../errors/index.js';

/** A compiled glob. */
export interface Glob {
  readonly pattern: string;
  matches(relPath: string): boolean;
}

/** Compiles a glob. @throws InvalidArgumentError for an empty pattern or unclosed class. */
export function compileGlob(pattern: string): Glob {
  if (pattern.length === 0) throw new InvalidArgumentError('empty glob pattern');
  const anchored = pattern.includes('/');
  const body = pattern.replace(/^\/+/, '');
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
      if (end < 0) throw new InvalidArgumentError(`unclosed [ in glob ${JSON.stringify(pattern)}`);
      const cls = body.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      re += `[${cls}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  const regex = new RegExp(anchored ? `^${re}(?:/.*)?$` : `(?:^|/)${re}(?:/.*)?$`);
  return { pattern, matches: (relPath) => regex.test(relPath) };
}

/** Include/exclude rules: a path is captured unless excluded; with includes, files must match one. */
export class PathFilter {
  private readonly includes: Glob[];
  private readonly excludes: Glob[];

  /** The rules as text ('' when there are none): a directory cached under other rules is not reused. */
  readonly signature: string;

  constructor(include: readonly string[] = [], exclude: readonly string[] = []) {
    this.includes = include.map(compileGlob);
    this.excludes = exclude.map(compileGlob);
    this.signature = include.length + exclude.length === 0 ? '' : JSON.stringify([include, exclude]);
  }

  /** Whether a directory at `relPath` should be walked. */
  walksDir(relPath: string): boolean {
    return !this.excludes.some((g) => g.matches(relPath));
  }

  /** Whether a file or link at `relPath` is captured. */
  takesFile(relPath: string): boolean {
    if (this.excludes.some((g) => g.matches(relPath))) return false;
    return this.includes.length === 0 || this.includes.some((g) => g.matches(relPath));
  }

  /** Whether any include rules exist (then empty directories are left out). */
  get hasIncludes(): boolean {
    return this.includes.length > 0;
  }
}
