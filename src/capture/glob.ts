/**
 * Include/exclude rules of a capture, over the glob language of src/snapshot/path-glob.ts
 * (`*.tmp` excludes temp files everywhere; `notes/**` everything under notes/).
 */
import { compilePathGlob, type PathGlob } from '../snapshot/index.js';

/** A compiled glob (see src/snapshot/path-glob.ts for the language). */
export type Glob = PathGlob;

/** Compiles an include/exclude/keep glob. @throws InvalidArgumentError naming a bad pattern. */
export function compileGlob(pattern: string): Glob {
  return compilePathGlob(pattern);
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
