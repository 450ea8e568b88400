/**
 * Include/exclude globs (`*`, `**`, `?`, classes; patterns without `/` match the last
 * segment at any depth) and the path filter built from them.
 */
import { describe, expect, it } from 'vitest';
import { PathFilter, compileGlob } from '../../src/capture/index.js';
import { InvalidArgumentError } from '../../src/errors/index.js';

function matches(pattern: string, paths: string[]): string[] {
  const g = compileGlob(pattern);
  return paths.filter((p) => g.matches(p));
}

const PATHS = ['a.md', 'notes/a.md', 'notes/deep/b.md', 'notes/c.txt', 'x.md.bak', 'tmp/cache.tmp', 'notes.md', 'n/notes/z.md', 'a+b.md', 'ab.md'];

describe('compileGlob', () => {
  it('matches a pattern without / against the last segment at any depth', () => {
    expect(matches('*.md', PATHS)).toEqual(['a.md', 'notes/a.md', 'notes/deep/b.md', 'notes.md', 'n/notes/z.md', 'a+b.md', 'ab.md']);
    expect(matches('a.md', PATHS)).toEqual(['a.md', 'notes/a.md']);
    // A matched directory name takes everything below it.
    expect(matches('notes', PATHS)).toEqual(['notes/a.md', 'notes/deep/b.md', 'notes/c.txt', 'n/notes/z.md']);
  });

  it('anchors patterns with / at the top; * stays within a segment and ** crosses them', () => {
    expect(matches('notes/*.md', PATHS)).toEqual(['notes/a.md']);
    expect(matches('notes/**/*.md', PATHS)).toEqual(['notes/a.md', 'notes/deep/b.md']);
    expect(matches('notes/**', PATHS)).toEqual(['notes/a.md', 'notes/deep/b.md', 'notes/c.txt']);
    expect(matches('**/z.md', PATHS)).toEqual(['n/notes/z.md']);
    expect(matches('/a.md', PATHS)).toEqual(['a.md']);
    expect(matches('notes/deep', PATHS)).toEqual(['notes/deep/b.md']);
  });

  it('supports ? and classes and treats regex characters literally', () => {
    expect(matches('?b.md', PATHS)).toEqual(['ab.md']);
    expect(matches('[ab].md', PATHS)).toEqual(['a.md', 'notes/a.md', 'notes/deep/b.md']);
    expect(matches('[!a].md', PATHS)).toEqual(['notes/deep/b.md', 'n/notes/z.md']);
    expect(matches('a+b.md', PATHS)).toEqual(['a+b.md']);
    expect(matches('*.tmp', PATHS)).toEqual(['tmp/cache.tmp']);
    expect(compileGlob('a.md').matches('aXmd')).toBe(false);
    expect(compileGlob('(x)|y').matches('(x)|y')).toBe(true);
  });

  it('rejects empty patterns, unclosed or empty classes and . or .. segments', () => {
    for (const bad of ['', '[abc', 'a[]b', '../x', 'a/./b', '/']) expect(() => compileGlob(bad), JSON.stringify(bad)).toThrow(InvalidArgumentError);
  });

  it('matches names that hold newlines', () => {
    expect(compileGlob('notes/**').matches('notes/line\nbreak.md')).toBe(true);
    expect(compileGlob('*.md').matches('dir\nname/line\nbreak.md')).toBe(true);
    expect(compileGlob('a*b').matches('a\nb')).toBe(true);
  });
});

describe('PathFilter', () => {
  it('takes everything by default, drops excluded files and directories, and with includes takes only matches', () => {
    const all = new PathFilter();
    expect(PATHS.every((p) => all.takesFile(p))).toBe(true);
    expect(all.hasIncludes).toBe(false);

    const f = new PathFilter(['*.md', 'notes/c.txt'], ['deep', '*.bak']);
    expect(f.hasIncludes).toBe(true);
    expect(PATHS.filter((p) => f.takesFile(p))).toEqual(['a.md', 'notes/a.md', 'notes/c.txt', 'notes.md', 'n/notes/z.md', 'a+b.md', 'ab.md']);
    expect(f.walksDir('notes')).toBe(true);
    expect(f.walksDir('notes/deep')).toBe(false);
    // Includes never stop the walk: a directory is walked to find matching files in it.
    expect(f.walksDir('tmp')).toBe(true);
  });
});
