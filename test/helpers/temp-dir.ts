/**
 * Temporary directories for tests, removed after each test.
 *
 * `useTempDirs()` registers an `afterEach` that deletes every directory it handed out, so a
 * failing test never leaves stores behind in /tmp. Set MEMSNAP_KEEP_TEMP=1 to keep them for
 * inspection (their paths are printed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** Creates one temporary directory (mode 0700 by mkdtemp). The caller removes it. */
export function makeTempDir(prefix = 'memsnap-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Returns a factory of temporary directories that are removed after each test of the file. */
export function useTempDirs(prefix = 'memsnap-test-'): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) {
      if (process.env['MEMSNAP_KEEP_TEMP'] === '1') console.log(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  });
  return () => {
    const dir = makeTempDir(prefix);
    dirs.push(dir);
    return dir;
  };
}
