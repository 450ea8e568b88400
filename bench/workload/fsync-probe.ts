/**
 * Counts and times `fs.fsyncSync` calls process-wide (bench-only instrumentation): patches
 * the `node:fs` module object and re-syncs its ESM named exports, so code that imported
 * `node:fs` sees the wrapper. Used to show how much of a restore is spent making files
 * durable.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/** Totals since the last {@link FsyncProbe.reset}. */
export interface FsyncProbe {
  /** Calls of fsyncSync. */
  readonly calls: number;
  /** Time spent inside fsyncSync, in ms. */
  readonly ms: number;
  reset(): void;
}

/** Installs the wrapper (once per process) and returns its counters. */
export function installFsyncProbe(): FsyncProbe {
  const totals = { calls: 0, ms: 0 };
  const original = fs.fsyncSync;
  fs.fsyncSync = (fd: number): void => {
    const t = performance.now();
    try {
      original(fd);
    } finally {
      totals.calls++;
      totals.ms += performance.now() - t;
    }
  };
  syncBuiltinESMExports();
  return {
    get calls() {
      return totals.calls;
    },
    get ms() {
      return totals.ms;
    },
    reset() {
      totals.calls = 0;
      totals.ms = 0;
    },
  };
}
