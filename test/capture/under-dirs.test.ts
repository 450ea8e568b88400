import { describe, expect, it } from 'vitest';
import { underDirs } from '../../src/capture/index.js';

describe('underDirs', () => {
  it('accepts a directory itself and everything below it, nothing else', () => {
    const inside = underDirs(['notes', 'a/b']);
    expect(['notes', 'notes/x.md', 'notes/deep/y.md', 'a/b', 'a/b/c'].every(inside)).toBe(true);
    expect(['notesx', 'notes2/x', 'a', 'a/bc', 'a/c/b', 'other'].some(inside)).toBe(false);
  });

  it('treats the root as everything and no directories as nothing', () => {
    expect(underDirs([''])('any/path')).toBe(true);
    expect(underDirs([])('any/path')).toBe(false);
  });
});
