/** Inspect: read-only views of snapshots (walk, cat, diff, stats, verify). Imports snapshot and below. */
export * from './walk-snapshot.js';
export * from './cat-file.js';
export * from './diff-trees.js';
export * from './diff-database.js';
export * from './diff-snapshots.js';
export * from './store-summary.js';
export * from './verify-snapshots.js';
